//! The OpenID provider Boussole is registered with (ProConnect in production), as a relying
//! party: the authorization request (code flow, PKCE S256, `state` and `nonce`), the code
//! exchange, the id_token and the signed userinfo checked, and the end-session request.
//!
//! The provider's discovery document and keys are fetched on first use, kept for an hour, and
//! fetched again when a token is signed with a key they do not hold (a rotation). Nothing here
//! logs a token: failures are logged by their kind only.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use openidconnect::{
    AccessToken, AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EmptyAdditionalClaims, IssuerUrl, JsonWebKey, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    UserInfoClaims, UserInfoError,
    core::{
        CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreGenderClaim,
        CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreTokenResponse,
    },
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::config::OidcConfig;

/// How long the discovery document and keys are kept.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Clocks of Boussole and the provider may differ this much.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);
/// An id_token issued longer ago than this is not accepted, whatever its expiry.
const MAX_TOKEN_AGE: chrono::Duration = chrono::Duration::minutes(10);
/// A login started and not finished within this delay starts again.
pub const PENDING_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// Each call to the provider gives up after this long, and a whole return after `RETURN_TIMEOUT`
/// (under the request timeout): the page then says the provider is unavailable.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
pub const RETURN_TIMEOUT: Duration = Duration::from_secs(20);
/// Random bytes of `state` and `nonce`: 43 characters, as ProConnect asks at least 32.
const SECRET_BYTES: u32 = 32;
/// ProConnect says how the agent authenticated (`amr`) only when asked.
const CLAIMS_REQUEST: &str = r#"{"id_token":{"amr":{"essential":true}}}"#;

/// What the pre-login session remembers between the authorization request and the return.
#[derive(Serialize, Deserialize, Clone)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// The page to land on after login.
    pub next: String,
    /// Unix time of the request.
    pub at: i64,
}

/// The agent the provider vouched for.
#[derive(Clone)]
pub struct Agent {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// `Some(false)` when the provider says the address is not verified.
    pub email_verified: Option<bool>,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    /// Kept in the session for the end-session request's `id_token_hint`.
    pub id_token: String,
}

/// Never prints the id_token.
impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("acr", &self.acr)
            .field("amr", &self.amr)
            .finish_non_exhaustive()
    }
}

/// Why a login through the provider did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The provider could not be reached or answered with an error of its own.
    Unavailable,
    /// The return does not belong to the login this browser started (state, expiry, reuse).
    WrongState,
    /// The provider refused the code (already used, expired, or not ours).
    CodeRefused,
    /// The id_token or the userinfo failed a check.
    Token(TokenCheck),
    /// The agent cancelled at the provider, or the provider refused them.
    Cancelled,
}

/// Which check of the id_token or userinfo failed, for the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Missing,
    Signature,
    Issuer,
    Audience,
    Expired,
    IssuedAt,
    Nonce,
    UserInfo,
}

impl Failure {
    /// A short word for the logs.
    pub fn kind(self) -> String {
        match self {
            Self::Unavailable => "provider unavailable".into(),
            Self::WrongState => "wrong or reused state".into(),
            Self::CodeRefused => "code refused".into(),
            Self::Token(check) => format!("token check failed: {check:?}"),
            Self::Cancelled => "cancelled at the provider".into(),
        }
    }
}

/// ProConnect's claims beyond the standard ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AgentClaims {
    pub usual_name: Option<String>,
    pub uid: Option<String>,
    pub siret: Option<String>,
    pub idp_id: Option<String>,
}

impl AdditionalClaims for AgentClaims {}

type Metadata = Arc<ProviderMetadataWithLogout>;

/// The relying party, as `from_provider_metadata` makes it: authorization endpoint set, token
/// and userinfo endpoints as discovered.
type Client = openidconnect::Client<
    EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

pub struct Provider {
    config: OidcConfig,
    redirect: RedirectUrl,
    post_logout: PostLogoutRedirectUrl,
    http: reqwest::Client,
    metadata: RwLock<Option<(Metadata, Instant)>>,
}

/// The return address of the login, under the service's public URL (the route in `auth::router`
/// is written out, as every route is: a difference fails every ProConnect test).
pub const CALLBACK_PATH: &str = "/login/proconnect/retour";
/// The return address of the logout.
pub const LOGOUT_CALLBACK_PATH: &str = "/logout/proconnect/retour";

impl Provider {
    pub fn new(config: OidcConfig, base_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // The provider's answers are read as they are: a redirect there would be a way to
            // make Boussole call somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            config,
            redirect: RedirectUrl::new(format!("{base_url}{CALLBACK_PATH}"))?,
            post_logout: PostLogoutRedirectUrl::new(format!("{base_url}{LOGOUT_CALLBACK_PATH}"))?,
            http,
            metadata: RwLock::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    pub fn unknown_agents(&self) -> crate::config::UnknownAgents {
        self.config.unknown_agents
    }

    /// The discovery document (and keys), fetched when missing, older than an hour, or `fresh`.
    async fn metadata(&self, fresh: bool) -> Result<Metadata, Failure> {
        if !fresh
            && let Some((metadata, at)) = &*self.metadata.read().await
            && at.elapsed() < METADATA_TTL
        {
            return Ok(Arc::clone(metadata));
        }
        let issuer =
            IssuerUrl::new(self.config.issuer.clone()).map_err(|_| Failure::Unavailable)?;
        let metadata = match ProviderMetadataWithLogout::discover_async(issuer, &self.http).await {
            Ok(metadata) => metadata,
            Err(error) => {
                tracing::warn!(%error, "OpenID provider discovery failed");
                // An hour-old document still serves while the provider's is unreachable (not
                // for an unknown key: that one needs the provider's keys of now).
                return match (&*self.metadata.read().await, fresh) {
                    (Some((kept, _)), false) => Ok(Arc::clone(kept)),
                    _ => Err(Failure::Unavailable),
                };
            }
        };
        let metadata = Arc::new(metadata);
        *self.metadata.write().await = Some((Arc::clone(&metadata), Instant::now()));
        Ok(metadata)
    }

    fn client(&self, metadata: &ProviderMetadataWithLogout) -> Client {
        // ProConnect takes the secret in the body; a provider that only takes Basic gets Basic.
        let methods = metadata.token_endpoint_auth_methods_supported();
        let body = methods.is_none_or(|m| m.contains(&CoreClientAuthMethod::ClientSecretPost));
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(if body {
            AuthType::RequestBody
        } else {
            AuthType::BasicAuth
        })
    }

    /// The provider's authorization address for a new login, and what the session keeps of it.
    pub async fn start(&self, next: String) -> Result<(String, Pending), Failure> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(SECRET_BYTES),
                || Nonce::new_random_len(SECRET_BYTES),
            )
            .add_extra_param("claims", CLAIMS_REQUEST);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next,
            at: Utc::now().timestamp(),
        };
        Ok((url.to_string(), pending))
    }

    /// Exchanges the code, checks the id_token and reads the userinfo, within `RETURN_TIMEOUT`.
    pub async fn finish(&self, code: String, pending: &Pending) -> Result<Agent, Failure> {
        tokio::time::timeout(RETURN_TIMEOUT, self.exchange(code, pending))
            .await
            .unwrap_or(Err(Failure::Unavailable))
    }

    async fn exchange(&self, code: String, pending: &Pending) -> Result<Agent, Failure> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata);
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| Failure::Unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(response)
                    if response.error().as_ref() == "invalid_grant" =>
                {
                    Failure::CodeRefused
                }
                RequestTokenError::ServerResponse(response) => {
                    tracing::warn!(error = response.error().as_ref(), "token request refused");
                    Failure::CodeRefused
                }
                _ => Failure::Unavailable,
            })?;
        let id_token = response
            .id_token()
            .ok_or(Failure::Token(TokenCheck::Missing))?
            .clone();
        let nonce = Nonce::new(pending.nonce.clone());

        // Checked with the keys in hand; with a key they do not hold, with the keys of now.
        let (claims, metadata) = match self.verify(&metadata, &id_token, &nonce) {
            Err(Failure::Token(TokenCheck::Signature)) if unknown_key(&metadata, &id_token) => {
                let metadata = self.metadata(true).await?;
                (self.verify(&metadata, &id_token, &nonce)?, metadata)
            }
            other => (other?, metadata),
        };
        // One audience is checked by the crate; an authorized party, when named, must be us.
        if claims
            .authorized_party()
            .is_some_and(|azp| azp.as_str() != self.config.client_id)
        {
            return Err(Failure::Token(TokenCheck::Audience));
        }
        let subject = claims.subject().clone();
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned());
        let amr = claims
            .auth_method_refs()
            .map(|refs| refs.iter().map(|r| r.as_str().to_owned()).collect())
            .unwrap_or_default();

        let client = self.client(&metadata);
        let signed = metadata
            .userinfo_signing_alg_values_supported()
            .is_some_and(|algs| !algs.is_empty());
        let info: UserInfoClaims<AgentClaims, CoreGenderClaim> = client
            .user_info(
                AccessToken::new(response.access_token().secret().clone()),
                Some(subject.clone()),
            )
            .map_err(|_| Failure::Unavailable)?
            // Where the provider signs it (ProConnect does), an unsigned answer is refused.
            .require_signed_response(signed)
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                UserInfoError::Request(_) => Failure::Unavailable,
                UserInfoError::Response(status, _, _) if status.is_server_error() => {
                    Failure::Unavailable
                }
                other => {
                    // The kind only: some messages quote the subjects.
                    let kind = match other {
                        UserInfoError::ClaimsVerification(_) => "claims",
                        UserInfoError::Parse(_) => "parse",
                        UserInfoError::Response(..) => "response",
                        _ => "other",
                    };
                    tracing::warn!(kind, "userinfo refused");
                    Failure::Token(TokenCheck::UserInfo)
                }
            })?;
        let standard = info.standard_claims();
        let additional = info.additional_claims();
        let given_name = standard
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
        Ok(Agent {
            issuer: self.config.issuer.clone(),
            subject: subject.as_str().to_owned(),
            email: standard
                .email()
                .map(|e| e.as_str().to_owned())
                .or_else(|| claims.email().map(|e| e.as_str().to_owned())),
            email_verified: standard.email_verified(),
            given_name,
            usual_name: additional.usual_name.clone(),
            acr,
            amr,
            id_token: id_token.to_string(),
        })
    }

    fn verify(
        &self,
        metadata: &ProviderMetadataWithLogout,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: &Nonce,
    ) -> Result<CoreIdTokenClaims, Failure> {
        let client = self.client(metadata);
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            ])
            // `exp` is compared with a clock that runs a minute late: a small skew is forgiven.
            .set_time_fn(|| Utc::now() - CLOCK_SKEW)
            .set_issue_time_verifier_fn(|iat| {
                let now = Utc::now();
                if iat > now + CLOCK_SKEW {
                    Err("issued in the future".into())
                } else if iat < now - MAX_TOKEN_AGE {
                    Err("issued too long ago".into())
                } else {
                    Ok(())
                }
            });
        id_token.claims(&verifier, nonce).cloned().map_err(|error| {
            let check = match error {
                ClaimsVerificationError::SignatureVerification(_)
                | ClaimsVerificationError::Unsupported(_) => TokenCheck::Signature,
                ClaimsVerificationError::InvalidIssuer(_) => TokenCheck::Issuer,
                ClaimsVerificationError::InvalidAudience(_) => TokenCheck::Audience,
                ClaimsVerificationError::Expired(_) => TokenCheck::Expired,
                ClaimsVerificationError::InvalidNonce(_) => TokenCheck::Nonce,
                ClaimsVerificationError::Other(_) => TokenCheck::IssuedAt,
                _ => TokenCheck::Signature,
            };
            Failure::Token(check)
        })
    }

    /// The provider's end-session address for this id_token, and the `state` the return carries;
    /// `None` when the provider has no end-session endpoint.
    pub async fn logout_url(&self, id_token: &str) -> Result<Option<(String, String)>, Failure> {
        let metadata = self.metadata(false).await?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let hint: openidconnect::core::CoreIdToken = id_token
            .parse()
            .map_err(|_| Failure::Token(TokenCheck::Missing))?;
        let state = CsrfToken::new_random_len(SECRET_BYTES);
        let url = LogoutRequest::from(endpoint)
            .set_id_token_hint(&hint)
            .set_client_id(ClientId::new(self.config.client_id.clone()))
            .set_post_logout_redirect_uri(self.post_logout.clone())
            .set_state(state.clone())
            .http_get_url();
        Ok(Some((url.to_string(), state.secret().clone())))
    }
}

/// Whether the token names a key (`kid`) that the keys in hand do not hold.
fn unknown_key(
    metadata: &ProviderMetadataWithLogout,
    id_token: &openidconnect::core::CoreIdToken,
) -> bool {
    let Some(kid) = key_id(&id_token.to_string()) else {
        return false;
    };
    !metadata
        .jwks()
        .keys()
        .iter()
        .any(|key| key.key_id().is_some_and(|k| k.as_str() == kid))
}

/// The `kid` of a compact JWS's header.
fn key_id(token: &str) -> Option<String> {
    use base64::Engine as _;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

/// Compares two secrets in a time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
