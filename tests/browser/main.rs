//! End-to-end journeys in headless Chromium, with axe-core on every page visited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

use boussole::auth::model::Role;
use common::{PASSWORD, TestServer, browser::Browser, create_user};
use fantoccini::{Locator, key::Key};
use sqlx::PgPool;

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_admin_signs_in_with_the_keyboard_visits_every_page_and_signs_out(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let admin = create_user(&db, Role::Admin, "Alice Martin").await;
    let browser = Browser::start().await;
    let c = &browser.client;

    // Public pages first.
    c.goto(&server.url("/accessibilite")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Déclaration d’accessibilité"
    );
    browser
        .assert_accessible("the accessibility statement")
        .await;

    c.goto(&server.url("/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    browser.assert_accessible("the login page").await;

    // Keyboard only: Tab to the email field, type, Tab to the password, type, Enter.
    browser.tab_to(20, |id, _| id == "email").await;
    browser.type_text(&admin.email).await;
    browser.press(Key::Tab).await;
    browser.type_text(PASSWORD).await;
    browser.press(Key::Enter).await;
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Portefeuille des produits']"))
        .await
        .unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    browser.assert_accessible("the portfolio").await;

    c.goto(&server.url("/admin/utilisateurs")).await.unwrap();
    let table = c
        .find(Locator::Css("table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("Alice Martin"));
    browser.assert_accessible("the accounts list").await;

    c.goto(&server.url("/admin/utilisateurs/nouveau"))
        .await
        .unwrap();
    browser.assert_accessible("the new account form").await;
    c.find(Locator::Css(
        "button[type=submit].fr-btn:not(.fr-btn--secondary)",
    ))
    .await
    .unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("pas-une-adresse")
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Créer le compte']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c
        .wait()
        .for_element(Locator::Id("email-erreur"))
        .await
        .unwrap();
    assert!(
        error
            .text()
            .await
            .unwrap()
            .starts_with("Saisissez une adresse électronique valide")
    );
    browser
        .assert_accessible("the new account form with its errors")
        .await;

    c.goto(&server.url("/compte/mot-de-passe")).await.unwrap();
    browser.assert_accessible("the password page").await;

    c.goto(&server.url("/nulle-part")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Page non trouvée"
    );
    browser.assert_accessible("the 404 page").await;

    // Sign out with the keyboard too.
    c.goto(&server.url("/")).await.unwrap();
    browser
        .tab_to(30, |_, text| text.contains("Se déconnecter"))
        .await;
    browser.press(Key::Enter).await;
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Connexion à Boussole']"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Css("[role=status]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Vous êtes déconnecté.")
    );
    c.goto(&server.url("/")).await.unwrap();
    assert!(
        c.current_url().await.unwrap().path().starts_with("/login"),
        "signed out for good"
    );

    browser.close().await;
    server.stop().await;
}
