//! Who is asking: the `Viewer` extractor (signed in, or sent to the login page) and
//! `MaybeViewer` (public pages that still show who is signed in).

use axum::{
    extract::FromRequestParts,
    http::{Method, request::Parts},
};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
    web::{Flash, Layout},
};

use super::{
    db,
    model::User,
    session_store::{ACCOUNT_KEY, AUTH_KEY},
};

/// A session may be idle for 2 hours (cookie expiry) and last 12 hours at most.
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// The idle expiry is pushed back by a session write at most this often: a page view that
/// changes nothing else in the session writes nothing.
pub const TOUCH_EVERY: Duration = Duration::minutes(5);
/// Unix time of the last write that pushed the idle expiry back.
const TOUCHED_KEY: &str = "touched";

/// What the session remembers of a login.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    /// Unix time of the login, for the absolute lifetime.
    pub since: i64,
}

/// Signs `user_id` in on this session, under a new session id (so that an id planted before
/// the login is worthless after it).
pub async fn start_session(session: &Session, user_id: Uuid) -> AppResult<()> {
    session.cycle_id().await.map_err(session_error)?;
    // Nothing of an earlier login carries over (a ProConnect id_token would name someone else
    // to the provider at logout).
    for key in [
        super::proconnect::PENDING_KEY,
        super::proconnect::ID_TOKEN_KEY,
        super::proconnect::LOGOUT_STATE_KEY,
    ] {
        session.remove_value(key).await.map_err(session_error)?;
    }
    session
        .insert(
            AUTH_KEY,
            SessionAuth {
                user_id,
                since: Utc::now().timestamp(),
            },
        )
        .await
        .map_err(session_error)
}

/// A signed-in, active user, with the page layout for them.
pub struct Viewer {
    pub user: User,
    pub layout: Layout,
    pub session: Session,
}

impl Viewer {
    /// Queues a message for the next page.
    pub async fn flash(&self, message: Flash) -> AppResult<()> {
        message.push(&self.session).await.map_err(session_error)
    }
}

/// The signed-in user if there is one.
pub struct MaybeViewer {
    pub user: Option<User>,
    pub layout: Layout,
    pub session: Session,
}

pub fn session_error(error: tower_sessions::session::Error) -> AppError {
    match error {
        // Our store only fails when the database does.
        tower_sessions::session::Error::Store(e) => {
            tracing::warn!(error = %e, "session store unavailable");
            AppError::Unavailable
        }
        other => AppError::Internal(anyhow::anyhow!("session: {other}")),
    }
}

async fn session(parts: &mut Parts, state: &AppState) -> AppResult<Session> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!("session layer missing: {msg}")))
}

/// The active user of this session, ending the session if it outlived its absolute lifetime
/// or its account was deactivated.
pub async fn current_user(session: &Session, state: &AppState) -> AppResult<Option<User>> {
    let Some(auth) = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let fresh = Utc::now().timestamp() - auth.since < ABSOLUTE_LIFETIME.num_seconds();
    let user = if fresh {
        // The store read the account with the session. Otherwise — no longer active (null), or
        // a session signed in during this very request — ask.
        let loaded: Option<Option<User>> = session.get(ACCOUNT_KEY).await.map_err(session_error)?;
        match loaded {
            Some(Some(account)) if account.id == auth.user_id => Some(account),
            _ => db::find_active_user(&state.db, auth.user_id).await?,
        }
    } else {
        None
    };
    if user.is_none() {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    let now = Utc::now().timestamp();
    let touched: i64 = session
        .get(TOUCHED_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or(auth.since);
    if now - touched >= TOUCH_EVERY.num_seconds() {
        // Marks the session modified: saving it moves its idle expiry.
        session
            .insert(TOUCHED_KEY, now)
            .await
            .map_err(session_error)?;
    }
    Ok(user)
}

/// Flash messages are shown by the page a GET lands on, never consumed by a form post.
async fn flash(parts: &Parts, session: &Session) -> AppResult<Vec<Flash>> {
    if parts.method == Method::GET {
        Flash::take(session).await.map_err(session_error)
    } else {
        Ok(Vec::new())
    }
}

/// The path of the page a form was sent from, when it is a page of this site.
fn referring_page(parts: &Parts, base_url: &str) -> Option<String> {
    let referer = parts
        .headers
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?;
    let origin = crate::web::security::origin_of(base_url)?;
    let path = referer.strip_prefix(&origin)?;
    crate::web::local_path(path).map(str::to_owned)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session(parts, state).await?;
        let Some(user) = current_user(&session, state).await? else {
            // Come back here after login: to this page, or for a form sent by a session that
            // ended meanwhile, to the page the form was on (what was typed cannot be kept).
            let is_get = parts.method == Method::GET;
            let next = if is_get {
                parts.uri.path_and_query().map(|pq| pq.as_str().to_owned())
            } else {
                referring_page(parts, &state.config.base_url)
            }
            .filter(|next| next != "/");
            return Err(AppError::Unauthorized {
                next,
                ended: !is_get,
            });
        };
        let flash = flash(parts, &session).await?;
        let layout = Layout::new(&state.assets, Some(&user), flash);
        Ok(Self {
            user,
            layout,
            session,
        })
    }
}

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session(parts, state).await?;
        let user = current_user(&session, state).await?;
        let flash = flash(parts, &session).await?;
        let layout = Layout::new(&state.assets, user.as_ref(), flash);
        Ok(Self {
            user,
            layout,
            session,
        })
    }
}

/// A signed-in administrator; 403 for anyone else. Every administration handler takes one, so
/// that forgetting the check is a type error.
pub struct AdminOnly(pub Viewer);

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if viewer.user.role.is_admin() {
            Ok(Self(viewer))
        } else {
            Err(AppError::Forbidden)
        }
    }
}
