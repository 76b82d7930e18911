//! Configuration, read from environment variables only and validated once at start.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the application reads from its environment.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// Public URL of the service, e.g. `https://boussole.example.gouv.fr`, without trailing slash.
    pub base_url: String,
    pub secure_cookies: bool,
    pub log_format: LogFormat,
    pub log_level: String,
    pub static_dir: PathBuf,
    pub request_timeout: Duration,
    pub statement_timeout: Duration,
    pub db_max_connections: u32,
    /// Whether to take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Requests per minute allowed to each API key, counted in the database so that every
    /// instance agrees.
    pub api_rate_limit: u32,
    /// Login through an OpenID provider (ProConnect), when its three variables are set.
    pub oidc: Option<OidcConfig>,
}

/// The OpenID provider Boussole is registered with (ProConnect, in production).
#[derive(Clone)]
pub struct OidcConfig {
    /// The issuer, as its discovery document names it: `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub unknown_agents: UnknownAgents,
}

/// What the first ProConnect login of an agent without an account does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownAgents {
    /// A page explains whom to ask for an account.
    Refuse,
    /// A reader's account is created.
    CreateReader,
}

/// ProConnect's scopes for what Boussole shows of an agent.
pub const OIDC_DEFAULT_SCOPES: &str = "openid email given_name usual_name uid siret idp_id";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Plain,
    Json,
}

/// A variable that is set to something we cannot use.
#[derive(Debug, thiserror::Error)]
#[error("invalid environment variable {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so that parsing can be tested without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = get("DATABASE_URL").ok_or_else(|| ConfigError {
            name: "DATABASE_URL",
            reason: "is required, e.g. postgres://postgres@127.0.0.1:5432/boussole".into(),
        })?;
        if !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
            return Err(ConfigError {
                name: "DATABASE_URL",
                reason: "must start with postgres:// or postgresql://".into(),
            });
        }
        let listen = parse(&get, "BOUSSOLE_LISTEN", "127.0.0.1:8080", |v| {
            v.parse::<SocketAddr>().map_err(|e| e.to_string())
        })?;
        let base_url = parse(&get, "BOUSSOLE_BASE_URL", "http://127.0.0.1:8080", |v| {
            let v = v.trim_end_matches('/');
            let rest = v
                .strip_prefix("https://")
                .or_else(|| v.strip_prefix("http://"))
                .ok_or("must start with http:// or https://")?;
            if rest.is_empty() || rest.contains('/') {
                return Err("must be an origin such as https://boussole.example.gouv.fr".into());
            }
            Ok(v.to_owned())
        })?;
        let secure_cookies = parse(&get, "BOUSSOLE_SECURE_COOKIES", "true", parse_bool)?;
        let log_format = parse(&get, "BOUSSOLE_LOG_FORMAT", "plain", |v| match v {
            "plain" => Ok(LogFormat::Plain),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be plain or json".into()),
        })?;
        let log_level = get("BOUSSOLE_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_level).map_err(|e| ConfigError {
            name: "BOUSSOLE_LOG",
            reason: e.to_string(),
        })?;
        let static_dir =
            PathBuf::from(get("BOUSSOLE_STATIC_DIR").unwrap_or_else(|| "static".into()));
        let request_timeout = Duration::from_secs(parse(
            &get,
            "BOUSSOLE_REQUEST_TIMEOUT_SECS",
            "30",
            parse_positive,
        )?);
        let statement_timeout = Duration::from_secs(parse(
            &get,
            "BOUSSOLE_STATEMENT_TIMEOUT_SECS",
            "10",
            parse_positive,
        )?);
        let db_max_connections = u32::try_from(parse(
            &get,
            "BOUSSOLE_DB_MAX_CONNECTIONS",
            "10",
            parse_positive,
        )?)
        .map_err(|_| ConfigError {
            name: "BOUSSOLE_DB_MAX_CONNECTIONS",
            reason: "is too large".into(),
        })?;
        let trust_proxy = parse(&get, "BOUSSOLE_TRUST_PROXY", "false", parse_bool)?;
        let api_rate_limit = u32::try_from(parse(
            &get,
            "BOUSSOLE_API_RATE_LIMIT",
            "600",
            parse_positive,
        )?)
        .map_err(|_| ConfigError {
            name: "BOUSSOLE_API_RATE_LIMIT",
            reason: "is too large".into(),
        })?;
        let oidc = oidc(&get)?;
        Ok(Self {
            database_url,
            listen,
            base_url,
            secure_cookies,
            log_format,
            log_level,
            static_dir,
            request_timeout,
            statement_timeout,
            db_max_connections,
            trust_proxy,
            api_rate_limit,
            oidc,
        })
    }

    /// A configuration for tests and tools: local, insecure cookies, given database.
    pub fn local(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            log_format: LogFormat::Plain,
            log_level: "info".into(),
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")),
            request_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(10),
            db_max_connections: 10,
            trust_proxy: false,
            api_rate_limit: 600,
            oidc: None,
        }
    }
}

/// The provider's three variables, all or none, and the two optional ones.
fn oidc(get: &impl Fn(&str) -> Option<String>) -> Result<Option<OidcConfig>, ConfigError> {
    const NAMES: [&str; 3] = [
        "BOUSSOLE_OIDC_ISSUER",
        "BOUSSOLE_OIDC_CLIENT_ID",
        "BOUSSOLE_OIDC_CLIENT_SECRET",
    ];
    let values = NAMES.map(get);
    let [Some(issuer), Some(client_id), Some(client_secret)] = values.clone() else {
        if let Some(position) = values.iter().position(Option::is_none)
            && values.iter().any(Option::is_some)
        {
            return Err(ConfigError {
                name: NAMES[position],
                reason: "is required when the other BOUSSOLE_OIDC_ variables are set".into(),
            });
        }
        return Ok(None);
    };
    let issuer = issuer.trim().trim_end_matches('/').to_owned();
    // Plain HTTP only to this machine (a provider for tests or development).
    let loopback = url::Url::parse(&issuer).is_ok_and(|u| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
    });
    if url::Url::parse(&issuer).is_err() || !(issuer.starts_with("https://") || loopback) {
        return Err(ConfigError {
            name: "BOUSSOLE_OIDC_ISSUER",
            reason:
                "must be the provider's https URL, e.g. https://auth.agentconnect.gouv.fr/api/v2"
                    .into(),
        });
    }
    let scopes = parse(get, "BOUSSOLE_OIDC_SCOPES", OIDC_DEFAULT_SCOPES, |v| {
        let scopes: Vec<String> = v.split_whitespace().map(str::to_owned).collect();
        if scopes.iter().any(|s| s == "openid") {
            Ok(scopes)
        } else {
            Err("must include openid".into())
        }
    })?;
    let unknown_agents = parse(
        get,
        "BOUSSOLE_OIDC_UNKNOWN_AGENTS",
        "refuser",
        |v| match v {
            "refuser" => Ok(UnknownAgents::Refuse),
            "lecteur" => Ok(UnknownAgents::CreateReader),
            _ => Err("must be refuser or lecteur".into()),
        },
    )?;
    Ok(Some(OidcConfig {
        issuer,
        client_id: client_id.trim().to_owned(),
        client_secret: client_secret.trim().to_owned(),
        scopes,
        unknown_agents,
    }))
}

fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
    parser: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    parser(value.trim()).map_err(|reason| ConfigError { name, reason })
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn parse_positive(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a positive whole number".into()),
    }
}

/// Never prints the database URL, which may carry a password.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"[redacted]")
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("static_dir", &self.static_dir)
            .field("request_timeout", &self.request_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("db_max_connections", &self.db_max_connections)
            .field("trust_proxy", &self.trust_proxy)
            .field(
                "oidc",
                &self.oidc.as_ref().map(|o| {
                    format!(
                        "issuer {}, client {}, secret [redacted], scopes {}, unknown agents {:?}",
                        o.issuer,
                        o.client_id,
                        o.scopes.join(" "),
                        o.unknown_agents
                    )
                }),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_only_the_database_is_given() {
        let c = config(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.secure_cookies);
        assert_eq!(c.log_format, LogFormat::Plain);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_LISTEN", "nowhere"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_LISTEN");
        let err = config(&[]).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_SECURE_COOKIES", "maybe"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_SECURE_COOKIES");
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_BASE_URL", "https://x/y"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_BASE_URL");
    }

    #[test]
    fn the_provider_needs_its_three_variables_or_none() {
        let db = ("DATABASE_URL", "postgres://h/db");
        assert!(config(&[db]).unwrap().oidc.is_none());
        let err =
            config(&[db, ("BOUSSOLE_OIDC_ISSUER", "https://idp.example.gouv.fr")]).unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_OIDC_CLIENT_ID");
        let full = [
            db,
            (
                "BOUSSOLE_OIDC_ISSUER",
                "https://idp.example.gouv.fr/api/v2/",
            ),
            ("BOUSSOLE_OIDC_CLIENT_ID", "boussole"),
            ("BOUSSOLE_OIDC_CLIENT_SECRET", "s3cret-du-client"),
        ];
        let c = config(&full).unwrap();
        let oidc = c.oidc.as_ref().unwrap();
        assert_eq!(oidc.issuer, "https://idp.example.gouv.fr/api/v2");
        assert_eq!(oidc.unknown_agents, UnknownAgents::Refuse);
        assert!(oidc.scopes.contains(&"usual_name".to_owned()));
        assert!(!format!("{c:?}").contains("s3cret"));
        let mut bad = full.to_vec();
        bad.push(("BOUSSOLE_OIDC_UNKNOWN_AGENTS", "admin"));
        assert_eq!(
            config(&bad).unwrap_err().name,
            "BOUSSOLE_OIDC_UNKNOWN_AGENTS"
        );
        let mut bad = full.to_vec();
        bad[1] = ("BOUSSOLE_OIDC_ISSUER", "http://idp.example.gouv.fr");
        assert_eq!(config(&bad).unwrap_err().name, "BOUSSOLE_OIDC_ISSUER");
        let mut bad = full.to_vec();
        bad.push(("BOUSSOLE_OIDC_SCOPES", "email"));
        assert_eq!(config(&bad).unwrap_err().name, "BOUSSOLE_OIDC_SCOPES");
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let c = config(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains(r#"database_url: "[redacted]""#), "{shown}");
    }
}
