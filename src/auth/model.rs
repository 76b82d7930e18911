//! Accounts: roles, the password policy and password hashing.

use std::fmt;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use uuid::Uuid;

crate::vocabulary!(
    /// What an account may do: read, edit the products it is a member of, administer.
    Role {
        Admin => "admin", "Administrateur";
        Editor => "editor", "Éditeur";
        Reader => "reader", "Lecteur";
    }
);

impl Role {
    pub fn is_admin(self) -> bool {
        self == Self::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A signed-in account.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

pub use crate::web::FieldErrors;

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// Passwords long enough for the length rule but known to every attacker's dictionary.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "azertyuiop12",
    "azertyuiopqs",
    "motdepasse123",
    "motdepasse1234",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiop12",
    "qwertyuiopas",
    "iloveyou1234",
    "aaaaaaaaaaaa",
    "000000000000",
    "111111111111",
    "motdepassemotdepasse",
    "bonjour123456",
    "soleil123456",
    "boussole1234",
    "administrateur",
    "administrator",
    "changeme1234",
    "welcome12345",
    "azerty123456",
    "qwerty123456",
    "123456azerty",
    "motdepasse!!",
    "password!!!!",
    "123soleil123",
];

/// Checks the policy: 12 to 128 characters, not a well-known password; no composition rules.
pub fn check_password_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Err(format!(
            "Le mot de passe doit compter au moins {PASSWORD_MIN} caractères."
        ));
    }
    if length > PASSWORD_MAX {
        return Err(format!(
            "Le mot de passe doit compter au plus {PASSWORD_MAX} caractères."
        ));
    }
    if COMMON_PASSWORDS.contains(&password.to_lowercase().as_str()) {
        return Err(
            "Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase."
                .into(),
        );
    }
    Ok(())
}

/// A plausible email address: something@domain.tld, no spaces, at most 254 characters.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let email = raw.trim();
    if email.is_empty() {
        return Err("Saisissez une adresse électronique.".into());
    }
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email.to_owned())
    } else {
        Err(
            "Saisissez une adresse électronique valide, par exemple prenom.nom@sg.social.gouv.fr."
                .into(),
        )
    }
}

/// The working memory of one argon2 hash (19 MiB with the default parameters), kept and reused
/// from one hash to the next. Allocating it afresh for each hash lets the allocator keep every
/// copy it ever handed out: memory grew by hundreds of MiB under a burst of logins.
pub struct HashMemory(Vec<Block>);

/// Stored hashes asking for more memory than this are refused rather than computed.
const MAX_M_COST_KIB: u32 = 64 * 1024;

impl HashMemory {
    /// Empty until the first hash: a server that nobody logs in to does not hold 19 MiB per
    /// hashing thread.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let needed = params.block_count();
        if self.0.len() < needed {
            self.0.resize(needed, Block::default());
        }
        &mut self.0[..needed]
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes with argon2id and its default (OWASP-recommended) parameters into a PHC string.
/// CPU-heavy: on a request path, call it through `auth::hashing::Hasher`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    hash_password_in(password, &mut HashMemory::new())
}

pub fn hash_password_in(password: &str, memory: &mut HashMemory) -> anyhow::Result<String> {
    let failed = |e: &dyn std::fmt::Display| anyhow::anyhow!("password hashing failed: {e}");
    let params = Params::DEFAULT;
    let salt = Salt::generate();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            memory.blocks(&params),
        )
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_password_in(password, hash, &mut HashMemory::new())
}

pub fn verify_password_in(password: &str, hash: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory.blocks(&params))
        .is_ok()
        // `Output`'s equality is constant-time.
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_is_about_length_and_common_passwords() {
        assert!(check_password_policy("court").is_err());
        assert!(check_password_policy(&"a".repeat(129)).is_err());
        assert!(check_password_policy("Motdepasse123").is_err());
        assert!(check_password_policy("cheval agrafe correct").is_ok());
        // Characters, not bytes: twelve accented letters are enough.
        assert!(check_password_policy("éééééééééééé").is_ok());
    }

    #[test]
    fn hashing_round_trips_and_rejects_other_passwords() {
        let hash = hash_password("une phrase de passe").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("une phrase de passe", &hash));
        assert!(!verify_password("une autre phrase", &hash));
        assert!(!verify_password("x", "not a hash"));
        // Hashes written by the argon2 crate's own hasher (accounts created before) still verify.
        use argon2::password_hash::PasswordHasher;
        let legacy = Argon2::default()
            .hash_password(b"une phrase de passe")
            .unwrap()
            .to_string();
        let mut memory = HashMemory::new();
        assert!(verify_password_in(
            "une phrase de passe",
            &legacy,
            &mut memory
        ));
        assert!(!verify_password_in(
            "une autre phrase",
            &legacy,
            &mut memory
        ));
        assert!(verify_password_in(
            "une phrase de passe",
            &hash,
            &mut memory
        ));
    }

    #[test]
    fn emails_are_checked_loosely_but_usefully() {
        assert_eq!(
            parse_email("  marie.dupont@sg.social.gouv.fr ").unwrap(),
            "marie.dupont@sg.social.gouv.fr"
        );
        for bad in [
            "",
            "marie",
            "marie@",
            "@gouv.fr",
            "marie dupont@gouv.fr",
            "marie@gouv",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(*role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
