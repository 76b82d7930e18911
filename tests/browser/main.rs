//! End-to-end journeys in headless Chromium, with axe-core on every page visited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod crawl;
mod print;

use boussole::auth::model::Role;
use chrono::Datelike;
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

/// Fills a field found by id, replacing what it held.
async fn fill(c: &fantoccini::Client, id: &str, value: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Sets a date field: typing into Chromium's date widget depends on the locale's format.
async fn fill_date(c: &fantoccini::Client, id: &str, date: chrono::NaiveDate) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    let element = serde_json::to_value(&field).unwrap();
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![element, serde_json::json!(date.to_string())],
    )
    .await
    .unwrap();
}

/// Signs in through the login form and waits for the portfolio.
async fn sign_in(c: &fantoccini::Client, server: &TestServer, email: &str) {
    c.goto(&server.url("/login")).await.unwrap();
    fill(c, "email", email).await;
    fill(c, "password", PASSWORD).await;
    c.find(Locator::XPath("//button[text()='Se connecter']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Portefeuille des produits']"))
        .await
        .unwrap();
}

/// Creates the product « Aide au Répit » through its form and waits for its sheet.
async fn create_aide_au_repit(c: &fantoccini::Client, server: &TestServer) {
    c.goto(&server.url("/produits/nouveau")).await.unwrap();
    fill(c, "name", "Aide au Répit").await;
    choose(c, "direction_id", "Solidarités et cohésion sociale").await;
    choose(c, "typology", "Formulaires et démarches en ligne").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Aide au Répit']"))
        .await
        .unwrap();
}

async fn choose(c: &fantoccini::Client, id: &str, label: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_label(label)
        .await
        .unwrap();
}

async fn screenshot(c: &fantoccini::Client, name: &str) {
    // Set BOUSSOLE_SCREENSHOTS to a folder to look at the pages the journey visits.
    if let Ok(dir) = std::env::var("BOUSSOLE_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_editor_creates_a_product_changes_its_phase_and_finds_it_in_the_portfolio(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let editor = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;

    sign_in(c, &server, &editor.email).await;
    browser.assert_accessible("the empty portfolio").await;

    // A first try with mistakes: the form comes back with messages and what was typed.
    c.goto(&server.url("/produits/nouveau")).await.unwrap();
    browser.assert_accessible("the product form").await;
    fill(c, "name", "Signalement Maltraitance").await;
    fill(c, "public_url", "pas-une-adresse").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c
        .wait()
        .for_element(Locator::Id("public_url-erreur"))
        .await
        .unwrap();
    assert!(
        error
            .text()
            .await
            .unwrap()
            .starts_with("Saisissez une adresse web complète")
    );
    assert_eq!(
        c.find(Locator::Id("name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Signalement Maltraitance")
    );
    screenshot(c, "product-form-errors").await;
    browser
        .assert_accessible("the product form with its errors")
        .await;

    fill(c, "public_url", "https://signalement.social.gouv.fr").await;
    choose(c, "direction_id", "Solidarités et cohésion sociale").await;
    choose(c, "typology", "Formulaires et démarches en ligne").await;
    choose(c, "rgaa", "Partiellement conforme").await;
    c.find(Locator::Css("label[for=dsfr]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Signalement Maltraitance']"))
        .await
        .unwrap();
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/produits/signalement-maltraitance"
    );
    screenshot(c, "product-sheet").await;
    browser.assert_accessible("the product sheet").await;

    // Change the phase through its own small form.
    c.find(Locator::LinkText("Changer de phase"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Changer de phase']"))
        .await
        .unwrap();
    c.find(Locator::XPath(
        "//button[text()='Enregistrer le changement de phase']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Id("comment-erreur"))
        .await
        .unwrap();
    browser
        .assert_accessible("the phase form with its errors")
        .await;
    choose(c, "phase_id", "MVP").await;
    fill(c, "comment", "Premier usage réel validé par le comité").await;
    choose(c, "decision", "Go").await;
    c.find(Locator::XPath(
        "//button[text()='Enregistrer le changement de phase']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let badge = c.wait().for_element(Locator::Id("phase")).await.unwrap();
    // The DSFR shows badges in capitals.
    assert_eq!(badge.text().await.unwrap().to_lowercase(), "phase : mvp");

    c.find(Locator::LinkText("Historique des modifications"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let first = c
        .wait()
        .for_element(Locator::Css(".bsl-history li p strong"))
        .await
        .unwrap();
    assert_eq!(
        first.text().await.unwrap(),
        "Marie Dupont a changé la phase de Idée à MVP"
    );
    browser.assert_accessible("the history page").await;

    // The portfolio, filtered by phase with the form, as a bookmarkable URL.
    c.goto(&server.url("/")).await.unwrap();
    choose(c, "phase", "MVP").await;
    c.find(Locator::XPath("//button[text()='Filtrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//caption[text()='1 produit affiché']"))
        .await
        .unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or_default()
            .contains("phase=")
    );
    let row = c
        .find(Locator::Css("#portefeuille tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Signalement Maltraitance") && row.contains("MVP"),
        "{row}"
    );
    screenshot(c, "portfolio").await;
    browser.assert_accessible("the filtered portfolio").await;

    browser.close().await;
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_admin_reference_lists_and_a_conflict_page_are_accessible(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let admin = create_user(&db, Role::Admin, "Alice Martin").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(c, &server, &admin.email).await;

    c.goto(&server.url("/admin/phases")).await.unwrap();
    browser.assert_accessible("the phases list").await;
    fill(c, "nouveau", "Idée").await;
    c.find(Locator::XPath("//button[text()='Ajouter']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("erreur-nouveau"))
        .await
        .unwrap();
    browser
        .assert_accessible("the phases list with an error")
        .await;
    c.goto(&server.url("/admin/directions")).await.unwrap();
    browser.assert_accessible("the directions list").await;

    // A product edited in two tabs: the second save meets the conflict page.
    c.goto(&server.url("/produits/nouveau")).await.unwrap();
    fill(c, "name", "Double Onglet").await;
    choose(c, "direction_id", "Santé").await;
    choose(c, "typology", "Statistiques").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Double Onglet']"))
        .await
        .unwrap();
    c.goto(&server.url("/produits/double-onglet/modifier"))
        .await
        .unwrap();
    sqlx::query("update products set description = 'Changé ailleurs', version = version + 1")
        .execute(&db)
        .await
        .unwrap();
    fill(c, "description", "Ma description").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.bsl-conflict"))
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Id("description"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Ma description")
    );
    screenshot(c, "conflict").await;
    browser.assert_accessible("the conflict page").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Double Onglet']"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Css(".fr-text--lead"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Ma description")
    );

    browser.close().await;
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_product_manager_writes_the_vision_confirms_it_and_compares_versions(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let pm = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(c, &server, &pm.email).await;
    create_aide_au_repit(c, &server).await;

    c.find(Locator::LinkText("Rédiger la vision"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("statement"))
        .await
        .unwrap();
    browser.assert_accessible("the vision form").await;
    // Too long a statement: refused next to the field, with the live count saying by how much.
    fill(c, "statement", &"Une vision bien trop longue. ".repeat(12)).await;
    let counter = c
        .find(Locator::Id("statement-compteur"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(counter.contains("de trop"), "live count: {counter}");
    fill(c, "users", "Les proches aidants et leurs familles").await;
    c.find(Locator::XPath("//button[text()='Enregistrer la vision']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("statement-erreur"))
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Id("users"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Les proches aidants et leurs familles")
    );
    browser
        .assert_accessible("the vision form with its errors")
        .await;

    fill(c, "statement", "Aider les aidants à souffler").await;
    c.find(Locator::XPath("//button[text()='Enregistrer la vision']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".bsl-vision-statement"))
        .await
        .unwrap();
    c.find(Locator::LinkText("Modifier la vision"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(
        c,
        "statement",
        "Aider tous les proches aidants à souffler près de chez eux",
    )
    .await;
    c.find(Locator::XPath("//button[text()='Enregistrer la vision']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let statement = c
        .wait()
        .for_element(Locator::Css(".bsl-vision-statement"))
        .await
        .unwrap();
    assert_eq!(
        statement.text().await.unwrap(),
        "Aider tous les proches aidants à souffler près de chez eux"
    );
    screenshot(c, "vision-section").await;

    c.find(Locator::XPath(
        "//button[text()='Vision relue, toujours valable']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    // Wait for the new page: the old one had the same element with another text.
    let review = c
        .wait()
        .for_element(Locator::XPath(
            "//p[@id='vision-relecture'][starts-with(., 'Relue et confirmée le')]",
        ))
        .await
        .unwrap();
    assert!(
        review
            .text()
            .await
            .unwrap()
            .starts_with("Relue et confirmée le")
    );
    browser
        .assert_accessible("the product sheet with its vision")
        .await;

    c.find(Locator::LinkText("Versions de la vision"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Versions de la vision']"))
        .await
        .unwrap();
    browser.assert_accessible("the vision history").await;
    c.find(Locator::XPath("//button[text()='Comparer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Version 1 → version 2']"))
        .await
        .unwrap();
    let added = c
        .find(Locator::Css("#diff-1 ~ p ins, section ins"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(added.contains("tous"), "{added}");
    screenshot(c, "vision-compare").await;
    browser.assert_accessible("the vision comparison").await;

    browser.close().await;
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_product_manager_sets_up_an_indicator_from_the_library_and_imports_measurements(
    db: PgPool,
) {
    let server = TestServer::start(db.clone()).await;
    let pm = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(c, &server, &pm.email).await;
    create_aide_au_repit(c, &server).await;

    c.find(Locator::LinkText("Gérer les objectifs et indicateurs"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Objectifs et indicateurs']"))
        .await
        .unwrap();
    browser
        .assert_accessible("the empty objectives and indicators page")
        .await;
    fill(c, "title", "Réduire l’épuisement des aidants").await;
    c.find(Locator::XPath("//button[text()='Ajouter l’objectif']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//h2[contains(., 'Réduire l’épuisement des aidants')]",
        ))
        .await
        .unwrap();

    c.find(Locator::LinkText("Ajouter depuis la bibliothèque"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Bibliothèque d’indicateurs']"))
        .await
        .unwrap();
    browser.assert_accessible("the indicator library").await;
    c.find(Locator::Css(
        "a[title='Utiliser le modèle « Satisfaction des utilisateurs »']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Id("baseline_value"))
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Id("name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Satisfaction des utilisateurs")
    );
    choose(c, "objective_id", "Réduire l’épuisement des aidants").await;
    // A mistake first: no reference value.
    c.find(Locator::XPath(
        "//button[text()='Enregistrer l’indicateur']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Id("baseline_value-erreur"))
        .await
        .unwrap();
    browser
        .assert_accessible("the indicator form with its errors")
        .await;
    let today = boussole::web::filters::today();
    let iso = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    fill(c, "baseline_value", "6,4").await;
    fill_date(c, "baseline_date", today - chrono::Duration::days(200)).await;
    fill_date(c, "target_date_1", today + chrono::Duration::days(165)).await;
    c.find(Locator::XPath(
        "//button[text()='Enregistrer l’indicateur']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait().for_element(Locator::Id("statut")).await.unwrap();
    assert_eq!(
        c.find(Locator::Id("statut"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .to_lowercase(),
        "pas de données"
    );

    // Two measurements by hand.
    for (days, value) in [(60, "6,8"), (5, "7,3")] {
        fill_date(c, "date", today - chrono::Duration::days(days)).await;
        fill(c, "value", value).await;
        c.find(Locator::XPath("//button[text()='Enregistrer la mesure']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath(&format!(
                "//table[@id='mesures']//td[text()='{value}/10']"
            )))
            .await
            .unwrap();
    }
    let status = c
        .find(Locator::Id("statut"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .to_lowercase();
    assert_eq!(status, "en bonne voie");
    assert!(
        c.find(Locator::Id("raison"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("du chemin parcouru")
    );
    assert_eq!(
        c.find_all(Locator::Css("figure svg .bsl-chart-dot"))
            .await
            .unwrap()
            .len(),
        2
    );
    screenshot(c, "indicator").await;
    browser
        .assert_accessible("the indicator page with its chart")
        .await;

    // Import a CSV for this indicator: preview, then confirm.
    let file = std::env::temp_dir().join(format!("boussole-mesures-{}.csv", uuid::Uuid::new_v4()));
    let csv = format!(
        "indicateur;date;valeur;commentaire\nSatisfaction des utilisateurs;{};6,6;enquête\nSatisfaction des utilisateurs;{};7,0;\nInconnu;{};7;\n",
        iso(today - chrono::Duration::days(120)),
        iso(today - chrono::Duration::days(30)),
        iso(today - chrono::Duration::days(30)),
    );
    std::fs::write(&file, csv).unwrap();
    c.find(Locator::LinkText("Importer des mesures (CSV)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("fichier")).await.unwrap();
    browser.assert_accessible("the import page").await;
    c.find(Locator::Id("fichier"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Voir l’aperçu']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = c
        .wait()
        .for_element(Locator::Id("bilan"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        summary.starts_with("2 nouvelle(s) mesure(s), 0 remplacement(s), 1 ligne(s) en erreur"),
        "{summary}"
    );
    screenshot(c, "import-preview").await;
    browser.assert_accessible("the import preview").await;
    c.find(Locator::XPath(
        "//button[starts-with(., 'Importer les 2 lignes valides')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(., '2 mesure(s) importée(s).')]",
        ))
        .await
        .unwrap();
    assert_eq!(
        c.find_all(Locator::Css("#mesures tbody tr"))
            .await
            .unwrap()
            .len(),
        4
    );
    let _ = std::fs::remove_file(file);

    browser.close().await;
    server.stop().await;
}

async fn set_value(c: &fantoccini::Client, id: &str, value: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    let element = serde_json::to_value(&field).unwrap();
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![element, serde_json::json!(value)],
    )
    .await
    .unwrap();
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_team_builds_a_roadmap_shares_it_and_revokes_the_link(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let pm = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(c, &server, &pm.email).await;
    create_aide_au_repit(c, &server).await;
    for title in [
        "Réduire l’épuisement des aidants",
        "Faire connaître le service",
    ] {
        c.goto(&server.url("/produits/aide-au-repit/indicateurs"))
            .await
            .unwrap();
        fill(c, "title", title).await;
        c.find(Locator::XPath("//button[text()='Ajouter l’objectif']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath(&format!("//h2[contains(., '{title}')]")))
            .await
            .unwrap();
    }

    // A roadmap of three months from this month.
    let today = boussole::web::filters::today();
    let first = today.with_day(1).unwrap();
    let last = first.checked_add_months(chrono::Months::new(2)).unwrap();
    c.goto(&server.url("/produits/aide-au-repit/roadmaps"))
        .await
        .unwrap();
    browser.assert_accessible("the roadmaps page").await;
    set_value(c, "start_month", &first.format("%Y-%m").to_string()).await;
    set_value(
        c,
        "end_month",
        &first
            .checked_add_months(chrono::Months::new(7))
            .unwrap()
            .format("%Y-%m")
            .to_string(),
    )
    .await;
    c.find(Locator::XPath("//button[text()='Créer la roadmap']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c
        .wait()
        .for_element(Locator::Id("end_month-erreur"))
        .await
        .unwrap();
    assert_eq!(
        error.text().await.unwrap(),
        "Une roadmap court terme couvre 3 à 6 mois (ici 8 mois)."
    );
    browser
        .assert_accessible("the new roadmap form with its error")
        .await;
    set_value(c, "end_month", &last.format("%Y-%m").to_string()).await;
    c.find(Locator::XPath("//button[text()='Créer la roadmap']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[starts-with(., 'Roadmap ')]"))
        .await
        .unwrap();

    // Two priority objectives.
    c.find(Locator::LinkText(
        "Modifier la période, la marge et les priorités",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let ranks = c
        .wait()
        .for_element(Locator::Css("input[name^='rang-']"))
        .await
        .unwrap();
    let _ = ranks;
    browser.assert_accessible("the roadmap settings form").await;
    for (n, input) in c
        .find_all(Locator::Css("input[name^='rang-']"))
        .await
        .unwrap()
        .into_iter()
        .enumerate()
    {
        input.send_keys(&(n + 1).to_string()).await.unwrap();
    }
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::XPath("//section[@aria-labelledby='priorites']//li[text()='Réduire l’épuisement des aidants']")).await.unwrap();

    // Three initiatives and a risk.
    for (title, from, to) in [
        ("Refonte du parcours", 0, 30),
        ("Connexion FranceConnect", 20, 50),
        ("Audit RGAA", 40, 70),
    ] {
        c.find(Locator::LinkText("Ajouter une initiative"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait().for_element(Locator::Id("title")).await.unwrap();
        fill(c, "title", title).await;
        choose(c, "objective_id", "Réduire l’épuisement des aidants").await;
        fill_date(c, "starts_on", first + chrono::Duration::days(from)).await;
        fill_date(c, "ends_on", first + chrono::Duration::days(to)).await;
        if title == "Audit RGAA" {
            browser.assert_accessible("the initiative form").await;
        }
        c.find(Locator::XPath(
            "//button[text()='Enregistrer l’initiative']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        c.wait()
            .for_element(Locator::XPath(&format!(
                "//table//strong[text()='{title}']"
            )))
            .await
            .unwrap();
    }
    c.find(Locator::LinkText("Ajouter une dépendance ou un risque"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("description"))
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("description-erreur"))
        .await
        .unwrap();
    browser
        .assert_accessible("the risk form with its error")
        .await;
    fill(c, "description", "API du système métier livrée en retard").await;
    choose(c, "impact", "Fort").await;
    c.find(Locator::XPath("//button[text()='Enregistrer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//td[contains(., 'API du système métier livrée en retard')]",
        ))
        .await
        .unwrap();
    browser
        .assert_accessible("the roadmap page, month calendar")
        .await;
    screenshot(c, "roadmap").await;

    c.find(Locator::LinkText("par semaine"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".bsl-calendar--weeks"))
        .await
        .unwrap();
    browser
        .assert_accessible("the roadmap page, week calendar")
        .await;

    // A share link, opened by someone without an account.
    fill(c, "label", "Équipe métier").await;
    let link = browser.create_share_link().await;
    browser.assert_accessible("the share-link list").await;
    let path = link
        .split_once("/r/")
        .map(|(_, token)| format!("/r/{token}"))
        .unwrap();
    let visitor = Browser::start().await;
    visitor.client.goto(&server.url(&path)).await.unwrap();
    let title = visitor
        .client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Aide au Répit");
    assert!(
        visitor
            .client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Connexion FranceConnect")
    );
    visitor.assert_accessible("the public roadmap").await;

    // Revoke it: the visitor's reload is refused.
    c.find(Locator::Css("a[title^='Révoquer le lien']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//button[text()='Révoquer le lien']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//td[text()='Révoqué']"))
        .await
        .unwrap();
    visitor.client.refresh().await.unwrap();
    let refused = visitor
        .client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(refused, "Ce lien ne fonctionne pas");
    visitor.assert_accessible("the refused link page").await;

    visitor.close().await;
    browser.close().await;
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_product_manager_sets_up_the_team_and_fixes_the_raci_matrix_with_the_keyboard(
    db: PgPool,
) {
    let server = TestServer::start(db.clone()).await;
    let pm = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(c, &server, &pm.email).await;
    create_aide_au_repit(c, &server).await;

    c.find(Locator::LinkText("Gérer les personnes et la matrice RACI"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Rôles et responsabilités']"))
        .await
        .unwrap();
    browser.assert_accessible("the empty roles page").await;
    let team = [
        (
            "Claire Fontaine",
            "Équipe métier",
            "Responsable métier",
            "70",
        ),
        ("Hugo Bernard", "Équipe DNUM", "Responsable produit", "100"),
        ("Société Numérique", "Prestataire", "Développeur·se", "100"),
        (
            "Marc Petit",
            "Autre partie prenante",
            "Directeur de programme",
            "5",
        ),
    ];
    for (n, (name, group, role, allocation)) in team.iter().enumerate() {
        c.find(Locator::LinkText("Ajouter une personne"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait().for_element(Locator::Id("name")).await.unwrap();
        if n == 0 {
            // A first try without a group: refused next to the field.
            fill(c, "name", name).await;
            c.find(Locator::XPath("//button[text()='Enregistrer']"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Id("team-erreur"))
                .await
                .unwrap();
            browser
                .assert_accessible("the person form with its errors")
                .await;
        }
        fill(c, "name", name).await;
        choose(c, "team", group).await;
        fill(c, "role_title", role).await;
        fill(c, "allocation", allocation).await;
        c.find(Locator::XPath("//button[text()='Enregistrer']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath(&format!("//li/strong[text()='{name}']")))
            .await
            .unwrap();
    }

    // Fill the matrix with the keyboard: Claire accountable, Société réalise, everywhere but the
    // first row's A. The product's creator is a person too (a column left empty).
    let mut headers = Vec::new();
    for th in c
        .find_all(Locator::Css("table.bsl-matrix thead th"))
        .await
        .unwrap()
        .into_iter()
        .skip(1)
    {
        headers.push(th.text().await.unwrap());
    }
    assert_eq!(headers.len(), 5, "{headers:?}");
    let column_of = |name: &str| headers.iter().position(|h| h.starts_with(name)).unwrap();
    let selects = c.find_all(Locator::Css("select.bsl-letter")).await.unwrap();
    assert_eq!(selects.len(), 50, "10 activities × 5 people");
    let columns = headers.len();
    for (i, select) in selects.iter().enumerate() {
        let (row, column) = (i / columns, i % columns);
        let letter = if column == column_of("Claire") {
            if row == 0 {
                continue;
            }
            "A"
        } else if column == column_of("Société") {
            "R"
        } else if column == column_of("Hugo") {
            "C"
        } else if column == column_of("Marc") {
            "I"
        } else {
            continue;
        };
        select.send_keys(letter).await.unwrap();
    }
    c.find(Locator::XPath("//button[text()='Enregistrer la matrice']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let state = c
        .wait()
        .for_element(Locator::XPath("//h3[starts-with(., 'RACI non valide')]"))
        .await
        .unwrap();
    assert_eq!(
        state.text().await.unwrap(),
        "RACI non valide : 1 problème(s)"
    );
    assert!(
        c.find(Locator::Css(".bsl-row-error"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("n’a pas de A")
    );
    screenshot(c, "raci-error").await;
    browser
        .assert_accessible("the roles page with the matrix in error")
        .await;

    // Set the missing A with the keyboard: the error disappears.
    let first_a =
        &c.find_all(Locator::Css("select.bsl-letter")).await.unwrap()[column_of("Claire")];
    first_a.send_keys("A").await.unwrap();
    c.find(Locator::XPath("//button[text()='Enregistrer la matrice']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let valid = c
        .wait()
        .for_element(Locator::XPath("//p[starts-with(., 'RACI valide')]"))
        .await
        .unwrap();
    assert!(
        valid
            .text()
            .await
            .unwrap()
            .contains("chaque activité a un seul A")
    );
    assert!(
        c.find_all(Locator::Css(".bsl-row-error"))
            .await
            .unwrap()
            .is_empty(),
        "no row in error any more"
    );
    browser
        .assert_accessible("the roles page with a valid matrix")
        .await;

    browser.close().await;
    server.stop().await;
}
