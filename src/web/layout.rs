//! What every page's layout needs: where the static files are, who is signed in, the flash
//! messages and which navigation entry is current.

use crate::auth::model::User;

use super::Flash;

#[derive(Clone, Debug)]
pub struct UserBadge {
    pub name: String,
    pub is_admin: bool,
}

#[derive(Clone, Debug)]
pub struct Layout {
    /// URL prefix of the static files, with their version: `/static/3f2a9c1e`.
    pub assets: String,
    pub user: Option<UserBadge>,
    pub flash: Vec<Flash>,
    /// The navigation entry to mark as current: `portefeuille`, `produits`, `admin` or empty.
    pub section: &'static str,
    /// A public shared page: no link into the signed-in application.
    pub public: bool,
}

impl Layout {
    pub fn new(assets: &str, user: Option<&User>, flash: Vec<Flash>) -> Self {
        Self {
            assets: assets.to_owned(),
            user: user.map(|u| UserBadge {
                name: u.display_name.clone(),
                is_admin: u.role.is_admin(),
            }),
            flash,
            section: "",
            public: false,
        }
    }

    /// The layout of a page shown to people without an account (shared roadmaps).
    pub fn public(assets: &str) -> Self {
        Self {
            public: true,
            ..Self::new(assets, None, Vec::new())
        }
    }

    pub fn in_section(mut self, section: &'static str) -> Self {
        self.section = section;
        self
    }

    /// URL of a static file, e.g. `layout.asset("dsfr/dsfr.min.css")`.
    pub fn asset(&self, path: &str) -> String {
        format!("{}/{}", self.assets, path)
    }

    pub fn is_current(&self, section: &str) -> bool {
        self.section == section
    }
}
