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
    browser.wait_h1("Portefeuille des produits").await;
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
    browser.click_button("Créer le compte").await;
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
    browser.wait_h1("Connexion à Boussole").await;
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

/// Signs in through the login form and waits for the portfolio.
async fn sign_in(b: &Browser, server: &TestServer, email: &str) {
    b.sign_in(&server.url("/login"), email, PASSWORD).await;
    b.wait_h1("Portefeuille des produits").await;
}

/// Creates the product « Aide au Répit » through its form and waits for its sheet.
async fn create_aide_au_repit(browser: &Browser, server: &TestServer) {
    browser
        .client
        .goto(&server.url("/produits/nouveau"))
        .await
        .unwrap();
    browser.fill("name", "Aide au Répit").await;
    browser
        .choose("direction_id", "Solidarités et cohésion sociale")
        .await;
    browser
        .choose("typology", "Formulaires et démarches en ligne")
        .await;
    browser.click_button("Enregistrer").await;
    browser.wait_h1("Aide au Répit").await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_editor_creates_a_product_changes_its_phase_and_finds_it_in_the_portfolio(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let editor = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;

    sign_in(&browser, &server, &editor.email).await;
    browser.assert_accessible("the empty portfolio").await;

    // A first try with mistakes: the form comes back with messages and what was typed.
    c.goto(&server.url("/produits/nouveau")).await.unwrap();
    browser.assert_accessible("the product form").await;
    browser.fill("name", "Signalement Maltraitance").await;
    browser.fill("public_url", "pas-une-adresse").await;
    browser.click_button("Enregistrer").await;
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
    browser.screenshot("product-form-errors").await;
    browser
        .assert_accessible("the product form with its errors")
        .await;

    browser
        .fill("public_url", "https://signalement.social.gouv.fr")
        .await;
    browser
        .choose("direction_id", "Solidarités et cohésion sociale")
        .await;
    browser
        .choose("typology", "Formulaires et démarches en ligne")
        .await;
    browser.choose("rgaa", "Partiellement conforme").await;
    c.find(Locator::Css("label[for=dsfr]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click_button("Enregistrer").await;
    browser.wait_h1("Signalement Maltraitance").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/produits/signalement-maltraitance"
    );
    browser.screenshot("product-sheet").await;
    browser.assert_accessible("the product sheet").await;

    // Change the phase through its own small form.
    browser.click_link("Changer de phase").await;
    browser.wait_h1("Changer de phase").await;
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
    browser.choose("phase_id", "MVP").await;
    browser
        .fill("comment", "Premier usage réel validé par le comité")
        .await;
    browser.choose("decision", "Go").await;
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

    browser.click_link("Historique des modifications").await;
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
    browser.tick("MVP").await;
    browser.click_button("Filtrer").await;
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
    browser.screenshot("portfolio").await;
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
    sign_in(&browser, &server, &admin.email).await;

    c.goto(&server.url("/admin/phases")).await.unwrap();
    browser.assert_accessible("the phases list").await;
    browser.fill("nouveau", "Idée").await;
    browser.click_button("Ajouter").await;
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
    browser.fill("name", "Double Onglet").await;
    browser.choose("direction_id", "Santé").await;
    browser.choose("typology", "Statistiques").await;
    browser.click_button("Enregistrer").await;
    browser.wait_h1("Double Onglet").await;
    c.goto(&server.url("/produits/double-onglet/modifier"))
        .await
        .unwrap();
    sqlx::query("update products set description = 'Changé ailleurs', version = version + 1")
        .execute(&db)
        .await
        .unwrap();
    browser.fill("description", "Ma description").await;
    browser.click_button("Enregistrer").await;
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
    browser.screenshot("conflict").await;
    browser.assert_accessible("the conflict page").await;
    browser.click_button("Enregistrer").await;
    browser.wait_h1("Double Onglet").await;
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
    sign_in(&browser, &server, &pm.email).await;
    create_aide_au_repit(&browser, &server).await;

    browser.click_link("Rédiger la vision").await;
    c.wait()
        .for_element(Locator::Id("statement"))
        .await
        .unwrap();
    browser.assert_accessible("the vision form").await;
    // Too long a statement: refused next to the field, with the live count saying by how much.
    browser
        .fill("statement", &"Une vision bien trop longue. ".repeat(12))
        .await;
    let counter = c
        .find(Locator::Id("statement-compteur"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(counter.contains("de trop"), "live count: {counter}");
    browser
        .fill("users", "Les proches aidants et leurs familles")
        .await;
    browser.click_button("Enregistrer la vision").await;
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

    browser
        .fill("statement", "Aider les aidants à souffler")
        .await;
    browser.click_button("Enregistrer la vision").await;
    c.wait()
        .for_element(Locator::Css(".bsl-vision-statement"))
        .await
        .unwrap();
    browser.click_link("Modifier la vision").await;
    browser
        .fill(
            "statement",
            "Aider tous les proches aidants à souffler près de chez eux",
        )
        .await;
    browser.click_button("Enregistrer la vision").await;
    let statement = c
        .wait()
        .for_element(Locator::Css(".bsl-vision-statement"))
        .await
        .unwrap();
    assert_eq!(
        statement.text().await.unwrap(),
        "Aider tous les proches aidants à souffler près de chez eux"
    );
    browser.screenshot("vision-section").await;

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

    browser.click_link("Versions de la vision").await;
    browser.wait_h1("Versions de la vision").await;
    browser.assert_accessible("the vision history").await;
    browser.click_button("Comparer").await;
    browser.wait_h1("Version 1 → version 2").await;
    let added = c
        .find(Locator::Css("#diff-1 ~ p ins, section ins"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(added.contains("tous"), "{added}");
    browser.screenshot("vision-compare").await;
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
    sign_in(&browser, &server, &pm.email).await;
    create_aide_au_repit(&browser, &server).await;

    browser
        .click_link("Gérer les objectifs et indicateurs")
        .await;
    browser.wait_h1("Objectifs et indicateurs").await;
    browser
        .assert_accessible("the empty objectives and indicators page")
        .await;
    browser
        .fill("title", "Réduire l’épuisement des aidants")
        .await;
    browser.click_button("Ajouter l’objectif").await;
    c.wait()
        .for_element(Locator::XPath(
            "//h2[contains(., 'Réduire l’épuisement des aidants')]",
        ))
        .await
        .unwrap();

    browser.click_link("Ajouter depuis la bibliothèque").await;
    browser.wait_h1("Bibliothèque d’indicateurs").await;
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
    browser
        .choose("objective_id", "Réduire l’épuisement des aidants")
        .await;
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
    browser.fill("baseline_value", "6,4").await;
    browser
        .fill_date("baseline_date", today - chrono::Duration::days(200))
        .await;
    browser
        .fill_date("target_date_1", today + chrono::Duration::days(165))
        .await;
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
        browser
            .fill_date("date", today - chrono::Duration::days(days))
            .await;
        browser.fill("value", value).await;
        browser.click_button("Enregistrer la mesure").await;
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
    browser.screenshot("indicator").await;
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
    browser.click_link("Importer des mesures (CSV)").await;
    c.wait().for_element(Locator::Id("fichier")).await.unwrap();
    browser.assert_accessible("the import page").await;
    c.find(Locator::Id("fichier"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    browser.click_button("Voir l’aperçu").await;
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
    browser.screenshot("import-preview").await;
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

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_team_builds_a_roadmap_shares_it_and_revokes_the_link(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let pm = create_user(&db, Role::Editor, "Marie Dupont").await;
    let browser = Browser::start().await;
    let c = &browser.client;
    sign_in(&browser, &server, &pm.email).await;
    create_aide_au_repit(&browser, &server).await;
    for title in [
        "Réduire l’épuisement des aidants",
        "Faire connaître le service",
    ] {
        c.goto(&server.url("/produits/aide-au-repit/indicateurs"))
            .await
            .unwrap();
        browser.fill("title", title).await;
        browser.click_button("Ajouter l’objectif").await;
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
    browser
        .set_value("start_month", &first.format("%Y-%m").to_string())
        .await;
    browser
        .set_value(
            "end_month",
            &first
                .checked_add_months(chrono::Months::new(7))
                .unwrap()
                .format("%Y-%m")
                .to_string(),
        )
        .await;
    browser.click_button("Créer la roadmap").await;
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
    browser
        .set_value("end_month", &last.format("%Y-%m").to_string())
        .await;
    browser.click_button("Créer la roadmap").await;
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
    browser.click_button("Enregistrer").await;
    c.wait().for_element(Locator::XPath("//section[@aria-labelledby='priorites']//li[text()='Réduire l’épuisement des aidants']")).await.unwrap();

    // Three initiatives and a risk.
    for (title, from, to) in [
        ("Refonte du parcours", 0, 30),
        ("Connexion FranceConnect", 20, 50),
        ("Audit RGAA", 40, 70),
    ] {
        browser.click_link("Ajouter une initiative").await;
        c.wait().for_element(Locator::Id("title")).await.unwrap();
        browser.fill("title", title).await;
        browser
            .choose("objective_id", "Réduire l’épuisement des aidants")
            .await;
        // Not before today: a planned initiative that has already started asks for confirmation.
        browser
            .fill_date(
                "starts_on",
                (first + chrono::Duration::days(from)).max(today),
            )
            .await;
        browser
            .fill_date("ends_on", first + chrono::Duration::days(to))
            .await;
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
    browser
        .click_link("Ajouter une dépendance ou un risque")
        .await;
    c.wait()
        .for_element(Locator::Id("description"))
        .await
        .unwrap();
    browser.click_button("Enregistrer").await;
    c.wait()
        .for_element(Locator::Id("description-erreur"))
        .await
        .unwrap();
    browser
        .assert_accessible("the risk form with its error")
        .await;
    browser
        .fill("description", "API du système métier livrée en retard")
        .await;
    browser.choose("impact", "Fort").await;
    browser.click_button("Enregistrer").await;
    c.wait()
        .for_element(Locator::XPath(
            "//td[contains(., 'API du système métier livrée en retard')]",
        ))
        .await
        .unwrap();
    browser
        .assert_accessible("the roadmap page, month calendar")
        .await;
    browser.screenshot("roadmap").await;

    browser.click_link("par semaine").await;
    c.wait()
        .for_element(Locator::Css(".bsl-calendar--weeks"))
        .await
        .unwrap();
    browser
        .assert_accessible("the roadmap page, week calendar")
        .await;

    // A share link, opened by someone without an account.
    browser.fill("label", "Équipe métier").await;
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
    sign_in(&browser, &server, &pm.email).await;
    create_aide_au_repit(&browser, &server).await;

    browser
        .click_link("Gérer les personnes et la matrice RACI")
        .await;
    browser.wait_h1("Rôles et responsabilités").await;
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
        browser.click_link("Ajouter une personne").await;
        c.wait().for_element(Locator::Id("name")).await.unwrap();
        if n == 0 {
            // A first try without a group: refused next to the field.
            browser.fill("name", name).await;
            browser.click_button("Enregistrer").await;
            c.wait()
                .for_element(Locator::Id("team-erreur"))
                .await
                .unwrap();
            browser
                .assert_accessible("the person form with its errors")
                .await;
        }
        browser.fill("name", name).await;
        browser.choose("team", group).await;
        browser.fill("role_title", role).await;
        browser.fill("allocation", allocation).await;
        browser.click_button("Enregistrer").await;
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
    browser.click_button("Enregistrer la matrice").await;
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
    browser.screenshot("raci-error").await;
    browser
        .assert_accessible("the roles page with the matrix in error")
        .await;

    // Set the missing A with the keyboard: the error disappears.
    let first_a =
        &c.find_all(Locator::Css("select.bsl-letter")).await.unwrap()[column_of("Claire")];
    first_a.send_keys("A").await.unwrap();
    browser.click_button("Enregistrer la matrice").await;
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

/// Follows the dashboard tile whose words contain `words`; returns the count it showed.
async fn open_tile(browser: &Browser, server: &TestServer, words: &str) -> usize {
    let c = &browser.client;
    c.goto(&server.url("/")).await.unwrap();
    let tile = c
        .find(Locator::XPath(&format!(
            "//ul[@id='tuiles']//a[contains(., '{words}')]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no tile « {words} »: {e}"));
    let count: usize = tile
        .find(Locator::Css(".bsl-tile-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    tile.click().await.unwrap();
    count
}

/// The texts of column `n` (from 1) of the list's table.
async fn column(browser: &Browser, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for cell in browser
        .client
        .find_all(Locator::Css(&format!("#liste tbody td:nth-child({n})")))
        .await
        .unwrap()
    {
        texts.push(cell.text().await.unwrap().trim().to_owned());
    }
    texts
}

/// At phone width too, the page is accessible and does not scroll sideways.
async fn check_both_widths(browser: &Browser, what: &str) {
    browser.assert_accessible(what).await;
    browser.set_viewport(375, 800).await;
    browser.assert_accessible(&format!("{what} (phone)")).await;
    assert_eq!(browser.sideways_scroll().await, None, "{what} (phone)");
    browser.set_viewport(1280, 900).await;
    assert_eq!(browser.sideways_scroll().await, None, "{what} (desktop)");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_director_answers_the_committee_questions_in_two_clicks_from_the_dashboard(db: PgPool) {
    use boussole::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
    use boussole::portfolio::model::RoadmapState;
    boussole::demo::load(&db, false).await.unwrap();
    // One roadmap that ends this month.
    common::end_a_roadmap_this_month(&db).await;
    let today = boussole::web::filters::today();
    let truth = common::health_truth(&db).await;
    let server = TestServer::start(db.clone()).await;
    let browser = Browser::start().await;
    browser.set_viewport(1280, 900).await;
    browser
        .sign_in(&server.url("/login"), DEMO_ACCOUNTS[2].0, DEMO_PASSWORD)
        .await;
    browser.wait_h1("Portefeuille des produits").await;
    check_both_widths(&browser, "the dashboard with its tiles").await;

    // 1. Which products have no up-to-date vision? One click.
    let count = open_tile(&browser, &server, "visions à revoir").await;
    browser.wait_h1("Visions du portefeuille").await;
    let mut shown = column(&browser, 1).await;
    shown.sort();
    let expected = common::names_where(&truth, |r| r.vision_score < 6 || r.vision_review.is_due());
    assert_eq!(shown, expected);
    assert_eq!(count, expected.len());
    check_both_widths(&browser, "the visions list").await;

    // 2. Which indicators are late? One click, each named with its product and reason.
    let count = open_tile(&browser, &server, "indicateurs en retard").await;
    browser.wait_h1("Indicateurs du portefeuille").await;
    let late: usize = truth.iter().map(|r| r.indicators.late).sum();
    assert_eq!(count, late);
    let statuses = column(&browser, 3).await;
    assert_eq!(statuses.len(), late.min(50));
    assert!(
        statuses
            .iter()
            .all(|s| s.to_lowercase().starts_with("en retard")),
        "{statuses:?}"
    );
    check_both_widths(&browser, "the indicators list").await;

    // 3. Which roadmaps end this month? One click.
    let count = open_tile(&browser, &server, "se terminant").await;
    browser.wait_h1("Roadmaps du portefeuille").await;
    let mut shown = column(&browser, 1).await;
    shown.sort();
    let soon = today + chrono::Days::new(30);
    let expected = common::names_where(
        &truth,
        |r| matches!(r.roadmap, RoadmapState::InProgress { window, .. } if window.last_day() <= soon),
    );
    assert_eq!(shown, expected);
    assert_eq!(count, expected.len());
    assert!(shown.contains(&"Aide au Répit".to_owned()));
    check_both_widths(&browser, "the roadmaps list").await;

    // 4. Which products lack an accountable (A)? One click on the tile, one on the filter.
    open_tile(&browser, &server, "activités RACI").await;
    browser.wait_h1("Activités RACI à corriger").await;
    let c = &browser.client;
    c.find(Locator::Css("label[for='etat-1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let before = c.current_url().await.unwrap();
    browser.click_button("Filtrer").await;
    // The filtered page has the same title: wait for its address, not for the title.
    let mut waited = 0;
    while c.current_url().await.unwrap() == before {
        assert!(waited < 200, "the filter did not load a page");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    browser.wait_h1("Activités RACI à corriger").await;
    let problems = column(&browser, 3).await;
    assert!(
        !problems.is_empty()
            && problems
                .iter()
                .all(|p| p.to_lowercase().starts_with("aucun a"))
    );
    let mut shown = column(&browser, 1).await;
    shown.sort();
    shown.dedup();
    let expected = common::names_where(&truth, |r| r.raci.no_a > 0);
    assert_eq!(shown, expected);
    check_both_widths(&browser, "the RACI list filtered").await;

    // 5. The timeline, from the dashboard, by keyboard: Tab reaches a roadmap's bar, named in
    // words, and Enter opens that roadmap.
    c.goto(&server.url("/")).await.unwrap();
    browser.click_link("Calendrier des roadmaps").await;
    browser.wait_h1("Calendrier du portefeuille").await;
    check_both_widths(&browser, "the portfolio timeline").await;
    let mut label = None;
    for _ in 0..120 {
        browser.press(Key::Tab).await;
        let focused = c.active_element().await.unwrap();
        if focused.attr("class").await.unwrap().as_deref() == Some("bsl-gantt-barlink") {
            label = focused.attr("aria-label").await.unwrap();
            break;
        }
    }
    let label = label.expect("a roadmap bar reached with Tab");
    assert!(label.starts_with("Roadmap "), "{label}");
    browser.press(Key::Enter).await;
    // "Roadmap nov. 2026 – avr. 2027 de Aide au Répit : …": the roadmap's page is titled by its
    // window.
    browser.wait_h1(label.split(" de ").next().unwrap()).await;
    browser.close().await;
    server.stop().await;
}

/// A page as the server sends it, checked by the Nu HTML checker.
async fn assert_valid_html(response: reqwest::Response, what: &str) {
    let source = response.text().await.unwrap();
    let errors = crawl::nu_errors(&[(what.to_owned(), source)]);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

async fn wait_for_path(browser: &Browser, path: &str) {
    for _ in 0..100 {
        if browser.client.current_url().await.unwrap().path() == path {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "still at {} instead of {path}",
        browser.client.current_url().await.unwrap()
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_agent_signs_in_with_proconnect_and_out_through_it(db: PgPool) {
    use boussole::config::UnknownAgents;
    use common::oidc::{exclusive, provider};
    let _turn = exclusive().await;
    let listener = common::bind().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = provider()
        .client_for(common::config(), &base, UnknownAgents::CreateReader)
        .await;
    let server = TestServer::start_on(listener, db.clone(), config).await;
    let email = format!(
        "claude.agent.{}@travail.gouv.fr",
        &uuid::Uuid::new_v4().to_string()[..8]
    );
    provider().agent(&email, "Claude", "Agent", true).await;
    let browser = Browser::start().await;
    let c = &browser.client;

    c.goto(&server.url("/login")).await.unwrap();
    check_both_widths(&browser, "the login page with ProConnect").await;
    let http = server.client();
    assert_valid_html(
        http.get(server.url("/login")).send().await.unwrap(),
        "the login page with ProConnect",
    )
    .await;
    browser.screenshot("login-proconnect").await;
    assert!(browser.console_errors().await.is_empty());

    // The button leads to the provider (the content security policy lets the form go there).
    c.find(Locator::Css("a.fr-connect"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The provider's own form (its field has the same id as ours: wait until we are there).
    for _ in 0..100 {
        if c.current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&provider().issuer)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let field = c.wait().for_element(Locator::Id("email")).await.unwrap();
    field.send_keys(&email).await.unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_h1("Portefeuille des produits").await;
    assert!(
        c.find(Locator::Css("header"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Claude Agent")
    );
    check_both_widths(&browser, "the portfolio after a ProConnect login").await;

    // Out of Boussole and of the provider, back on the login page.
    browser.click_button("Se déconnecter").await;
    wait_for_path(&browser, "/login").await;
    assert!(
        c.find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Vous êtes déconnecté de Boussole et de ProConnect.")
    );
    // The provider's own pages (its missing favicon) are not ours to judge.
    let console: Vec<String> = browser
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.starts_with(&provider().issuer))
        .collect();
    assert!(console.is_empty(), "{console:?}");

    // The provider down when an instance first needs it: a French page, with what to do.
    let listener = common::bind().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = provider()
        .client_for(common::config(), &base, UnknownAgents::CreateReader)
        .await;
    let fresh = TestServer::start_on(listener, db.clone(), config).await;
    c.goto(&fresh.url("/login")).await.unwrap();
    provider().down(true).await;
    c.find(Locator::Css("a.fr-connect"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_h1("ProConnect ne répond pas").await;
    let error_page = http
        .get(fresh.url("/login/proconnect?next=/"))
        .send()
        .await
        .unwrap();
    provider().down(false).await;
    assert_eq!(error_page.status(), reqwest::StatusCode::BAD_GATEWAY);
    assert_valid_html(error_page, "the ProConnect error page").await;
    check_both_widths(&browser, "the ProConnect error page").await;
    browser.screenshot("proconnect-down").await;

    browser.close().await;
    fresh.stop().await;
    server.stop().await;
}
