use askama::Template;

use crate::{
    auth::model::{FieldErrors, Role},
    web::Layout,
};

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub created: String,
    pub is_me: bool,
    /// Failed logins within the throttling window (a "Débloquer" button when > 0).
    pub recent_failures: i64,
    /// How the account logs in: "Mot de passe", "ProConnect (…)", or both.
    pub login: String,
    /// An invitation to link ProConnect, pending since this date.
    pub invited: Option<String>,
    /// Whether the "invite to ProConnect" button applies (configured, not linked yet).
    pub can_invite: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub accounts: Vec<AccountRow>,
    pub roles: &'static [Role],
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
pub struct NewUserPage {
    pub layout: Layout,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub roles: &'static [Role],
    pub errors: FieldErrors,
    /// With ProConnect, the password may stay empty: the account then logs in with ProConnect
    /// only, invited to be linked at its first login.
    pub proconnect: bool,
}

crate::impl_page!(UsersPage, NewUserPage);
