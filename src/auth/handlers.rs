//! Login, logout and password change.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
    web::{Flash, Form, Query, local_path, security::ClientIp},
};

use super::{
    db::{self, Admission},
    extract::{MaybeViewer, Viewer, session_error, start_session},
    model::{self, FieldErrors, PASSWORD_MAX, PASSWORD_MIN},
    session_store::id_hash,
    views::{LoginPage, PasswordPage},
};

pub const LOGIN_FAILED: &str = "Adresse électronique ou mot de passe incorrect.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
    /// `terminee` when a form was sent after the session ended.
    session: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    viewer: MaybeViewer,
    Query(query): Query<NextQuery>,
) -> AppResult<Response> {
    let next = local_path(&query.next).unwrap_or("/").to_owned();
    if viewer.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let page = LoginPage {
        layout: viewer.layout,
        email: String::new(),
        session_ended: query.session == "terminee",
        next,
        error: None,
        errors: FieldErrors::new(),
        proconnect: state.oidc.is_some(),
    };
    Ok(page.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    viewer: MaybeViewer,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = form.email.trim().to_owned();
    let next = local_path(&form.next).unwrap_or("/").to_owned();

    let attempt = admit(&state, &email, &ip).await?;
    let credentials = db::find_credentials(&state.db, &email).await?;
    let (user, hash) = match credentials {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matches = match state.hasher.verify(form.password, hash).await {
        Ok(matches) => matches,
        Err(busy @ AppError::TooManyRequests { .. }) => {
            // Not checked, so not a failure.
            db::forget_attempt(&state.db, attempt).await?;
            return Err(busy);
        }
        Err(other) => return Err(other),
    };
    let Some(user) = user.filter(|_| matches) else {
        tracing::info!("login failed");
        let page = LoginPage {
            layout: viewer.layout,
            email,
            session_ended: false,
            next,
            error: Some(LOGIN_FAILED.into()),
            errors: FieldErrors::new(),
            proconnect: state.oidc.is_some(),
        };
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    db::forget_attempt(&state.db, attempt).await?;

    start_session(&viewer.session, user.id).await?;
    tracing::info!(user_id = %user.id, "login succeeded");
    Ok(Redirect::to(&next).into_response())
}

/// Counts a password check on this account from this address before it runs (see
/// `db::admit_attempt`); the lock-out and busy answers are the 429 page.
async fn admit(state: &AppState, email: &str, ip: &str) -> AppResult<i64> {
    match db::admit_attempt(&state.db, email, ip).await? {
        Admission::Admitted { attempt } => Ok(attempt),
        Admission::Refused { until } => Err(locked_out(until)),
        Admission::Busy => Err(AppError::TooManyRequests {
            message:
                "Trop de tentatives de connexion en même temps : réessayez dans quelques secondes."
                    .into(),
            retry_after: 5,
        }),
    }
}

/// The lock-out page: when to retry, and who can lift it sooner.
fn locked_out(until: DateTime<Utc>) -> AppError {
    let seconds = (until - Utc::now()).num_seconds().max(1);
    let minutes = ((seconds + 59) / 60).max(1);
    let unit = if minutes > 1 { "minutes" } else { "minute" };
    AppError::TooManyRequests {
        message: format!(
            "Trop de tentatives de connexion ont échoué. Réessayez dans {minutes} {unit}. \
             Si vous ne retrouvez pas votre mot de passe, un administrateur de Boussole peut \
             lever ce blocage tout de suite et vous aider à en choisir un nouveau."
        ),
        retry_after: u64::try_from(seconds).unwrap_or(1),
    }
}

pub async fn logout(State(state): State<AppState>, viewer: MaybeViewer) -> AppResult<Response> {
    super::proconnect::logout(&state, viewer).await
}

fn password_page(viewer: Viewer, errors: FieldErrors) -> PasswordPage {
    PasswordPage {
        name: viewer.user.display_name,
        email: viewer.user.email,
        role: viewer.user.role.label(),
        layout: viewer.layout,
        min: PASSWORD_MIN,
        max: PASSWORD_MAX,
        errors,
    }
}

pub async fn password_form(viewer: Viewer) -> AppResult<impl IntoResponse> {
    Ok(password_page(viewer, FieldErrors::new()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    // Checking the current password is a password guess like a login: counted and throttled
    // the same way, so that a stolen session cannot guess it, nor take every hashing turn.
    let attempt = admit(&state, &viewer.user.email, &ip).await?;
    let hash = db::password_hash(&state.db, viewer.user.id).await?;
    let current_ok = match state.hasher.verify(form.current.clone(), hash).await {
        Ok(ok) => ok,
        Err(busy @ AppError::TooManyRequests { .. }) => {
            db::forget_attempt(&state.db, attempt).await?;
            return Err(busy);
        }
        Err(other) => return Err(other),
    };
    if current_ok {
        db::forget_attempt(&state.db, attempt).await?;
    }

    let mut errors = FieldErrors::new();
    if !current_ok {
        errors.insert("current", "Le mot de passe actuel est incorrect.".into());
    }
    if let Err(message) = model::check_password_policy(&form.new) {
        errors.insert("new", message);
    } else if form.new != form.confirm {
        errors.insert(
            "confirm",
            "La confirmation ne correspond pas au nouveau mot de passe.".into(),
        );
    }
    if !errors.is_empty() {
        let page = password_page(viewer, errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    let new_hash = state.hasher.hash(form.new).await?;
    let keep = viewer.session.id().map(|id| id_hash(&id));
    let mut tx = state.db.begin().await?;
    db::set_password(&mut *tx, viewer.user.id, &new_hash).await?;
    db::end_sessions(&mut *tx, viewer.user.id, keep.as_deref()).await?;
    tx.commit().await?;
    Flash::success("Votre mot de passe a été changé ; vos autres sessions sont fermées.")
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/compte/mot-de-passe").into_response())
}
