use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::{
        AdminOnly, Viewer, db,
        extract::session_error,
        model::{self, FieldErrors, Role},
    },
    error::{AppError, AppResult, ResultExt},
    state::AppState,
    web::{Flash, Form, Path, filters},
};

use super::views::{AccountRow, NewUserPage, UsersPage};

pub async fn list(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
) -> AppResult<impl IntoResponse> {
    let accounts = db::list_accounts(&state.db)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            login: login_methods(&a),
            invited: a
                .invited_at
                .map(|at| filters::date_short(filters::paris_day(at))),
            can_invite: state.oidc.is_some() && a.proconnect.is_none() && a.invited_at.is_none(),
            id: a.user.id.to_string(),
            is_me: a.user.id == viewer.user.id,
            name: a.user.display_name,
            email: a.user.email,
            role: a.user.role,
            active: a.active,
            created: filters::date_short(filters::paris_day(a.created_at)),
            recent_failures: a.recent_failures,
        })
        .collect();
    let page = UsersPage {
        layout: viewer.layout.in_section("admin"),
        accounts,
        roles: Role::ALL,
    };
    Ok(page)
}

/// How an account logs in, for the administrators' list.
fn login_methods(account: &db::Account) -> String {
    let proconnect = account.proconnect.as_ref().map(|(at, acr)| {
        let level = acr
            .as_deref()
            .map(|acr| format!(", niveau {acr}"))
            .unwrap_or_default();
        format!(
            "ProConnect (dernière connexion le {}{level})",
            filters::date_short(filters::paris_day(*at))
        )
    });
    match (account.has_password, proconnect) {
        (true, Some(p)) => format!("Mot de passe et {p}"),
        (false, Some(p)) => p,
        (true, None) => "Mot de passe".into(),
        (false, None) => "Aucune".into(),
    }
}

/// Invites an account to be linked to its ProConnect identity at its next ProConnect login.
pub async fn invite_proconnect(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    if state.oidc.is_none() {
        return Err(AppError::NotFound);
    }
    use crate::auth::identities::{INVITATION_DAYS, Invitation, invite};
    let message = match invite(&state.db, &viewer.user, id).await? {
        Invitation::NotFound => return Err(AppError::NotFound),
        Invitation::AlreadyLinked => {
            Flash::error("Ce compte est déjà lié à une identité ProConnect.")
        }
        Invitation::Made => Flash::success(format!(
            "Invitation enregistrée : si la personne se connecte avec ProConnect sous l’adresse de \
             ce compte dans les {INVITATION_DAYS} jours, elle retrouvera son compte, lié à son \
             identité ProConnect."
        )),
    };
    message.push(&viewer.session).await.map_err(session_error)?;
    Ok(Redirect::to("/admin/utilisateurs").into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
) -> AppResult<impl IntoResponse> {
    let page = NewUserPage {
        proconnect: state.oidc.is_some(),
        layout: viewer.layout.in_section("admin"),
        email: String::new(),
        display_name: String::new(),
        role: Role::Editor.code().into(),
        roles: Role::ALL,
        errors: FieldErrors::new(),
    };
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    email: String,
    display_name: String,
    role: String,
    password: String,
}

pub const NAME_MAX: usize = 100;

pub async fn create(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let email = model::parse_email(&form.email)
        .map_err(|e| errors.insert("email", e))
        .ok();
    let display_name = form.display_name.trim();
    if display_name.is_empty() {
        errors.insert("display_name", "Saisissez le nom de la personne.".into());
    } else if display_name.chars().count() > NAME_MAX {
        errors.insert(
            "display_name",
            format!("Le nom doit compter au plus {NAME_MAX} caractères."),
        );
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.insert("role", "Choisissez un rôle dans la liste.".into());
    }
    // With ProConnect, no password: the account is for ProConnect only.
    let proconnect_only = state.oidc.is_some() && form.password.is_empty();
    if !proconnect_only && let Err(message) = model::check_password_policy(&form.password) {
        errors.insert("password", message);
    }

    if let (Some(email), Some(role), true) = (&email, role, errors.is_empty()) {
        let hash = if proconnect_only {
            crate::auth::identities::NO_PASSWORD.to_owned()
        } else {
            state.hasher.hash(form.password.clone()).await?
        };
        match db::create_user(&state.db, email, display_name, role, &hash)
            .await
            .unless_violates("users_email_key")?
        {
            Some(id) => {
                if proconnect_only {
                    crate::auth::identities::invite(&state.db, &viewer.user, id).await?;
                }
                Flash::success(format!("Le compte de {display_name} a été créé."))
                    .push(&viewer.session)
                    .await
                    .map_err(session_error)?;
                return Ok(Redirect::to("/admin/utilisateurs").into_response());
            }
            None => {
                errors.insert(
                    "email",
                    "Un compte existe déjà avec cette adresse électronique.".into(),
                );
            }
        }
    }

    let page = NewUserPage {
        layout: viewer.layout.in_section("admin"),
        email: form.email,
        display_name: form.display_name,
        role: form.role,
        roles: Role::ALL,
        errors,
        proconnect: state.oidc.is_some(),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// Admins cannot demote or deactivate themselves: the service must keep an administrator.
async fn refuse_self(viewer: &Viewer, id: Uuid, message: &str) -> AppResult<Option<Response>> {
    if viewer.user.id != id {
        return Ok(None);
    }
    Flash::error(message)
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Some(Redirect::to("/admin/utilisateurs").into_response()))
}

pub async fn change_role(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest("Ce rôle n’existe pas.".into()))?;
    if let Some(response) =
        refuse_self(&viewer, id, "Vous ne pouvez pas changer votre propre rôle.").await?
    {
        return Ok(response);
    }
    if !db::set_role(&state.db, id, role).await? {
        return Err(AppError::NotFound);
    }
    Flash::success(format!("Rôle changé en « {} ».", role.label()))
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/admin/utilisateurs").into_response())
}

pub async fn deactivate(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    if let Some(response) = refuse_self(
        &viewer,
        id,
        "Vous ne pouvez pas désactiver votre propre compte.",
    )
    .await?
    {
        return Ok(response);
    }
    let mut tx = state.db.begin().await?;
    if !db::set_active(&mut *tx, id, false).await? {
        return Err(AppError::NotFound);
    }
    // Its sessions end now, not at their expiry.
    db::end_sessions(&mut *tx, id, None).await?;
    tx.commit().await?;
    Flash::success("Compte désactivé : ses sessions sont fermées et il ne peut plus se connecter.")
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/admin/utilisateurs").into_response())
}

pub async fn reactivate(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    if !db::set_active(&state.db, id, true).await? {
        return Err(AppError::NotFound);
    }
    Flash::success("Compte réactivé.")
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/admin/utilisateurs").into_response())
}

/// Lifts a lock-out after failed logins (the owner asked an administrator).
pub async fn unlock(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    db::clear_failures(&state.db, id).await?;
    Flash::success(
        "Les échecs de connexion de ce compte sont effacés : il peut se connecter de nouveau.",
    )
    .push(&viewer.session)
    .await
    .map_err(session_error)?;
    Ok(Redirect::to("/admin/utilisateurs").into_response())
}
