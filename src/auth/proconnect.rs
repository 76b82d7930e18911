//! Login and logout through ProConnect: the button's request, the return from the provider,
//! the pages that explain a refusal, and the end-session round trip.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use serde::Deserialize;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
    web::{Flash, Layout, Query, local_path},
};

use super::{
    extract::{MaybeViewer, session_error, start_session},
    identities::{self, Outcome, Refusal},
    oidc::{self, Failure, PENDING_LIFETIME, Pending},
    views::{LeavingPage, ProConnectErrorPage},
};

/// The login in progress, between the button and the return.
pub const PENDING_KEY: &str = "proconnect_pending";
/// The id_token of a ProConnect session, for the end-session request.
pub const ID_TOKEN_KEY: &str = "proconnect_id_token";
/// The `state` of the end-session request, checked at its return.
pub const LOGOUT_STATE_KEY: &str = "proconnect_logout";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartQuery {
    next: String,
}

/// The button: a new login at the provider, bound to this browser's session. A link, not a
/// form: the way to the provider and back may pass through other sites (the agent's identity
/// provider), which a form's `form-action` policy would stop.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: MaybeViewer,
    Query(query): Query<StartQuery>,
) -> AppResult<Response> {
    let provider = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    let next = local_path(&query.next).unwrap_or("/").to_owned();
    let (url, pending) = match provider.start(next).await {
        Ok(started) => started,
        Err(failure) => return Ok(failure_page(&viewer, &headers, failure)),
    };
    super::db::remember_login_state(&state.db, &state_hash(&pending.state)).await?;
    viewer
        .session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Callback {
    code: String,
    state: String,
    error: String,
    /// The provider that answers (RFC 9207), when it says.
    iss: String,
}

/// The return from the provider: the code checked and exchanged, the account found, the session
/// signed in.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: MaybeViewer,
    Query(query): Query<Callback>,
) -> AppResult<Response> {
    let provider = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    // Taken out of the session whatever happens next: a state serves once.
    let pending: Option<Pending> = viewer
        .session
        .remove(PENDING_KEY)
        .await
        .map_err(session_error)?;
    let Some(pending) = pending.filter(|p| {
        oidc::same_secret(&p.state, &query.state)
            && Utc::now().timestamp() - p.at < PENDING_LIFETIME.num_seconds()
    }) else {
        return Ok(failure_page(&viewer, &headers, Failure::WrongState));
    };
    // The session says this browser started it; the database, that nobody used it yet (two
    // returns of the same browser at once: one goes on).
    if !super::db::take_login_state(&state.db, &state_hash(&pending.state)).await? {
        return Ok(failure_page(&viewer, &headers, Failure::WrongState));
    }
    if !query.iss.is_empty() && query.iss != provider.issuer() {
        // An answer from another provider than the one this login went to (a mix-up).
        return Ok(failure_page(&viewer, &headers, Failure::WrongState));
    }
    if !query.error.is_empty() || query.code.is_empty() {
        return Ok(failure_page(&viewer, &headers, Failure::Cancelled));
    }
    let agent = match provider.finish(query.code, &pending).await {
        Ok(agent) => agent,
        Err(failure) => return Ok(failure_page(&viewer, &headers, failure)),
    };
    let user = match identities::resolve(&state.db, &agent, provider.unknown_agents()).await? {
        Outcome::SignedIn(user) => user,
        Outcome::Refused(refusal) => {
            tracing::info!(?refusal, "ProConnect login refused");
            let admins = super::db::admin_contacts(&state.db).await?;
            let page = ProConnectErrorPage::refused(
                viewer.layout,
                refusal,
                agent.email.unwrap_or_default(),
                admins,
                request_id(&headers),
            );
            return Ok((StatusCode::FORBIDDEN, page).into_response());
        }
    };

    let session = viewer.session;
    start_session(&session, user.id).await?;
    session
        .insert(ID_TOKEN_KEY, agent.id_token)
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = %user.id, acr = ?agent.acr, "login through ProConnect succeeded");
    Ok(Redirect::to(&pending.next).into_response())
}

/// Ends the Boussole session; for a ProConnect session, goes on to the provider's end-session
/// endpoint, which sends the browser back to `logout_return`.
pub async fn logout(state: &AppState, viewer: MaybeViewer) -> AppResult<Response> {
    let id_token: Option<String> = viewer
        .session
        .get(ID_TOKEN_KEY)
        .await
        .map_err(session_error)?;
    viewer.session.flush().await.map_err(session_error)?;
    if let (Some(provider), Some(id_token)) = (state.oidc.as_ref(), id_token) {
        match provider.logout_url(&id_token).await {
            Ok(Some((url, logout_state))) => {
                viewer
                    .session
                    .insert(LOGOUT_STATE_KEY, logout_state)
                    .await
                    .map_err(session_error)?;
                // A page that goes on to the provider, rather than a redirect: the logout form's
                // `form-action` policy would stop the provider's own redirects to other sites.
                let page = LeavingPage {
                    layout: Layout::new(&state.assets, None, Vec::new()),
                    url,
                };
                return Ok(page.into_response());
            }
            Ok(None) => {}
            Err(failure) => {
                tracing::warn!(failure = failure.kind(), "ProConnect logout skipped");
                Flash::info(
                    "Vous êtes déconnecté de Boussole. ProConnect n’a pas pu être joint : \
                     fermez votre navigateur pour terminer aussi votre session ProConnect.",
                )
                .push(&viewer.session)
                .await
                .map_err(session_error)?;
                return Ok(Redirect::to("/login").into_response());
            }
        }
    }
    Flash::info("Vous êtes déconnecté.")
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/login").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogoutReturn {
    state: String,
}

/// Back from the provider's end-session endpoint.
pub async fn logout_return(
    viewer: MaybeViewer,
    Query(query): Query<LogoutReturn>,
) -> AppResult<Response> {
    let expected: Option<String> = viewer
        .session
        .remove(LOGOUT_STATE_KEY)
        .await
        .map_err(session_error)?;
    // The Boussole session ended before the trip; a return that is not ours says less.
    let message = match expected {
        Some(expected) if oidc::same_secret(&expected, &query.state) => {
            "Vous êtes déconnecté de Boussole et de ProConnect."
        }
        _ => "Vous êtes déconnecté.",
    };
    Flash::info(message)
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/login").into_response())
}

fn state_hash(state: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The page of a failed login, with what to do and the request's id; the failure's kind goes to
/// the log, never a token.
fn failure_page(viewer: &MaybeViewer, headers: &HeaderMap, failure: Failure) -> Response {
    tracing::warn!(failure = failure.kind(), "ProConnect login failed");
    let status = match failure {
        Failure::Unavailable => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let page = ProConnectErrorPage::failed(viewer.layout.clone(), failure, request_id(headers));
    (status, page).into_response()
}

impl Refusal {
    /// Title and explanation of the refusal page.
    pub fn explain(self, email: &str) -> (&'static str, String) {
        match self {
            Self::Unknown => (
                "Vous n’avez pas de compte Boussole",
                format!(
                    "Votre identité ProConnect ({email}) est reconnue, mais aucun compte Boussole n’y est lié. \
                     Demandez à un administrateur de Boussole de vous créer un compte à cette adresse, puis \
                     reconnectez-vous avec ProConnect."
                ),
            ),
            Self::NotLinked => (
                "Votre compte n’est pas encore lié à ProConnect",
                format!(
                    "Un compte Boussole existe à l’adresse {email}, mais il n’est pas lié à votre identité ProConnect. \
                     Boussole ne lie jamais un compte sur la seule adresse électronique : demandez à un administrateur \
                     de Boussole d’inviter votre compte à se lier à ProConnect, puis reconnectez-vous. \
                     En attendant, si votre compte a un mot de passe, vous pouvez vous connecter avec celui-ci."
                ),
            ),
            Self::Deactivated => (
                "Ce compte est désactivé",
                "Un administrateur de Boussole a désactivé ce compte : adressez-vous à un administrateur pour le faire réactiver."
                    .into(),
            ),
            Self::EmailNotVerified => (
                "Adresse électronique non vérifiée",
                "ProConnect n’a pas confirmé votre adresse électronique : Boussole ne peut pas s’en servir pour \
                 ouvrir ou lier un compte. Vérifiez votre adresse auprès de votre fournisseur d’identité, ou \
                 demandez de l’aide à un administrateur de Boussole."
                    .into(),
            ),
        }
    }
}

impl Failure {
    /// Title and explanation of the failure page.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            Self::Unavailable => (
                "ProConnect ne répond pas",
                "Boussole n’a pas pu joindre ProConnect ou n’a pas compris sa réponse. Réessayez dans quelques \
                 minutes ; si vous avez un mot de passe Boussole, vous pouvez l’utiliser pour vous connecter \
                 en attendant.",
            ),
            Self::WrongState => (
                "Cette connexion a expiré ou a déjà servi",
                "Cette connexion a été commencée dans un autre navigateur ou il y a plus de dix minutes, ou \
                 elle a déjà servi. Recommencez la connexion.",
            ),
            Self::CodeRefused => (
                "ProConnect n’a pas confirmé la connexion",
                "Le code de connexion a déjà servi ou a expiré. Recommencez la connexion.",
            ),
            Self::Token(_) => (
                "La connexion n’a pas pu être vérifiée",
                "La réponse de ProConnect n’a pas satisfait aux contrôles de Boussole (signature, émetteur, \
                 destinataire, validité). Recommencez ; si cela se reproduit, transmettez l’identifiant \
                 ci-dessous à l’équipe de Boussole.",
            ),
            Self::Cancelled => (
                "Connexion annulée",
                "La connexion avec ProConnect a été annulée ou refusée. Vous pouvez la recommencer.",
            ),
        }
    }
}
