//! Confirming a destructive action (a deletion, a revocation): one page that says what will
//! happen, a button posting to the same address, and the way back. The delete flows of every
//! section of a product use it through `ProductSheet::confirm`; the POST handler does the work.

use askama::Template;

use super::Layout;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub explanation: String,
    /// Where the confirmation posts.
    pub action: String,
    /// Where "Annuler" leads.
    pub cancel: String,
    /// What the button says (« Confirmer la suppression », « Révoquer le lien »).
    pub button: &'static str,
}

crate::impl_page!(ConfirmPage);
