//! The product sheet: create, edit, archive, phases, members, history, no lost update.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use common::{TestApp, create_product, create_user, field_value};
use sqlx::PgPool;
use uuid::Uuid;

async fn direction(db: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar("select id from directions where name = $1")
        .bind(name)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn phase(db: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar("select id from phases where name = $1")
        .bind(name)
        .fetch_one(db)
        .await
        .unwrap()
}

/// The edit form's fields, as the browser would send them back unchanged.
async fn edit_fields(client: &mut common::Client, slug: &str) -> Vec<(String, String)> {
    let page = client.get(&format!("/produits/{slug}/modifier")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let mut fields = Vec::new();
    for element in html.select(&scraper::Selector::parse("form input, form select").unwrap()) {
        let Some(name) = element.value().attr("name") else {
            continue;
        };
        match (element.value().name(), element.value().attr("type")) {
            ("input", Some("checkbox")) => {
                if element.value().attr("checked").is_some() {
                    fields.push((name.to_owned(), "on".to_owned()));
                }
            }
            ("input", _) => fields.push((
                name.to_owned(),
                element.value().attr("value").unwrap_or_default().to_owned(),
            )),
            _ => fields.push((
                name.to_owned(),
                field_value(&page, name).unwrap_or_default(),
            )),
        }
    }
    fields
}

fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = fields.to_vec();
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_editor_creates_a_product_and_sees_its_sheet(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let form = editor.get("/produits/nouveau").await;
    assert_eq!(form.status, StatusCode::OK);

    let created = editor
        .post(
            "/produits",
            &[
                ("name", "Démarches Aides Sociales"),
                ("description", "Demander une aide en ligne"),
                (
                    "direction_id",
                    &direction(&app.db, "Santé").await.to_string(),
                ),
                ("typology", "demarches"),
                ("public_url", "https://aides.social.gouv.fr"),
                ("rgaa", "partiel"),
                ("dsfr", "on"),
                ("homologated", "on"),
                ("homologation_date", "15/03/2025"),
                ("phase_id", &phase(&app.db, "MVP").await.to_string()),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(
        created.location(),
        Some("/produits/demarches-aides-sociales")
    );

    let sheet = editor.get("/produits/demarches-aides-sociales").await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert_eq!(sheet.text("h1"), "Démarches Aides Sociales");
    assert!(sheet.text(".fr-alert").contains("a été créé"));
    assert_eq!(sheet.text("#phase"), "Phase : MVP");
    let facts = sheet.text(".bsl-facts");
    assert!(facts.contains("Santé") && facts.contains("Formulaires et démarches en ligne"));
    let badges = sheet.text("[aria-label=Conformité]");
    assert!(
        badges.contains("RGAA : partiellement conforme")
            && badges.contains("Homologué le 15/03/2025")
            && badges.contains("Hors registre RGPD")
    );
    assert!(sheet.text(".bsl-links").contains("Site du produit"));
    // The creator is a member and may edit.
    assert!(sheet.text(".fr-btns-group").contains("Modifier la fiche"));
    let phases = sheet.text("section[aria-labelledby=historique-phases] tbody");
    assert!(
        phases.contains("MVP") && phases.contains("Produit enregistré dans Boussole."),
        "{phases}"
    );
    // Honest empty states.
    assert!(
        sheet
            .text("#vision")
            .contains("La vision de ce produit n’est pas encore rédigée.")
    );
    assert!(
        sheet
            .text("#indicateurs")
            .contains("Aucun objectif ni indicateur pour l’instant.")
    );
    assert!(
        sheet
            .text("#roadmap")
            .contains("Aucune roadmap pour l’instant.")
    );
    // Its creator is its first person, the one who may edit it.
    assert!(
        sheet.text("#roles").contains("Équipe DNUM : 1"),
        "{}",
        sheet.text("#roles")
    );
    assert!(
        sheet
            .text("#roles")
            .contains("Peuvent modifier cette fiche")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_wrong_product_form_comes_back_with_messages_and_nothing_is_saved(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    create_product(&mut editor, &app.db, "Existant").await;
    let long_name = "n".repeat(121);
    let page = editor
        .post(
            "/produits",
            &[
                ("name", &long_name),
                ("slug", "existant"),
                ("direction_id", &Uuid::new_v4().to_string()),
                ("typology", "inconnue"),
                ("public_url", "pas une adresse"),
                ("rgaa", "non"),
                ("phase_id", "forgé"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#name-erreur"),
        "Le nom doit compter au plus 120 caractères."
    );
    assert_eq!(
        page.text("#direction_id-erreur"),
        "Choisissez une direction dans la liste."
    );
    assert_eq!(
        page.text("#typology-erreur"),
        "Choisissez une typologie dans la liste."
    );
    assert!(
        page.text("#public_url-erreur")
            .starts_with("Saisissez une adresse web complète")
    );
    assert_eq!(
        page.text("#phase_id-erreur"),
        "Choisissez la phase actuelle du produit."
    );
    assert_eq!(
        field_value(&page, "name").unwrap(),
        long_name,
        "what was typed is kept"
    );
    assert_eq!(field_value(&page, "public_url").unwrap(), "pas une adresse");

    let duplicate = editor
        .post(
            "/produits",
            &[
                ("name", "Autre"),
                ("slug", "existant"),
                (
                    "direction_id",
                    &direction(&app.db, "Santé").await.to_string(),
                ),
                ("typology", "demarches"),
                ("rgaa", "non"),
                ("phase_id", &phase(&app.db, "Idée").await.to_string()),
            ],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.text("#slug-erreur").contains("déjà utilisé"));
    let empty = editor.post("/produits", &[("name", "  ")]).await;
    assert_eq!(empty.text("#name-erreur"), "Saisissez le nom du produit.");

    let count: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
    let audit: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, 1, "only the first product's creation");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn editing_is_audited_with_before_and_after_and_renaming_keeps_old_links(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, user) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "Alpha").await;
    let fields = edit_fields(&mut editor, &slug).await;

    let saved = editor
        .post(
            &format!("/produits/{slug}/modifier"),
            &as_refs(&with(
                &fields,
                &[("name", "Bêta"), ("slug", "beta"), ("rgaa", "total")],
            )),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location(), Some("/produits/beta"));

    let row: (String, serde_json::Value, Option<Uuid>) = sqlx::query_as(
        "select action, changes, actor_id from audit_events order by id desc limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.0, "update");
    assert_eq!(row.2, Some(user.id));
    let changes = row.1.as_array().unwrap();
    let name = changes.iter().find(|c| c["field"] == "name").unwrap();
    assert_eq!(
        (name["before"].as_str(), name["after"].as_str()),
        (Some("Alpha"), Some("Bêta"))
    );
    let rgaa = changes.iter().find(|c| c["field"] == "rgaa").unwrap();
    assert_eq!(
        (rgaa["before"].as_str(), rgaa["after"].as_str()),
        (Some("Non conforme"), Some("Totalement conforme"))
    );
    assert_eq!(changes.len(), 3, "name, slug and RGAA only");

    // The old address redirects, with what follows it.
    let old = editor.get("/produits/alpha").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.location(), Some("/produits/beta"));
    let old_history = editor.get("/produits/alpha/historique?page=1").await;
    assert_eq!(
        old_history.location(),
        Some("/produits/beta/historique?page=1")
    );

    let history = editor.get("/produits/beta/historique").await;
    let sentences = history.texts(".bsl-history li > p strong");
    assert_eq!(
        sentences[0],
        "Marie Editrice a modifié 3 champs : nom, identifiant d’adresse, accessibilité (rgaa)"
    );
    assert_eq!(
        sentences.last().unwrap(),
        "Marie Editrice a créé le produit"
    );

    // A failed save writes nothing, audit included.
    let before: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let fields = edit_fields(&mut editor, "beta").await;
    let refused = editor
        .post(
            "/produits/beta/modifier",
            &as_refs(&with(
                &fields,
                &[("name", ""), ("description", "Nouvelle description")],
            )),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_value(&refused, "description").unwrap(),
        "Nouvelle description"
    );
    let after: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(before, after);
    let description: String = sqlx::query_scalar("select description from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(description, "");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_people_editing_at_once_lose_nothing(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut admin, &app.db, "Partagé").await;
    let (mut marie, marie_user) = app.signed_in(Role::Editor).await;
    sqlx::query(
        "insert into people (product_id, name, team, user_id, can_edit)
         select id, 'Marie', 'dnum', $1, true from products",
    )
    .bind(marie_user.id)
    .execute(&app.db)
    .await
    .unwrap();

    // Both open the form on the same version.
    let admin_form = edit_fields(&mut admin, &slug).await;
    let marie_form = edit_fields(&mut marie, &slug).await;

    let first = admin
        .post(
            &format!("/produits/{slug}/modifier"),
            &as_refs(&with(
                &admin_form,
                &[("description", "Version de l’administratrice")],
            )),
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);

    let second = marie
        .post(
            &format!("/produits/{slug}/modifier"),
            &as_refs(&with(&marie_form, &[("description", "Version de Marie")])),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second.text("[role=alert]").contains("Alice Admin"));
    let row = second
        .texts(".bsl-conflict tbody tr")
        .into_iter()
        .find(|r| r.starts_with("Description"))
        .unwrap();
    assert!(
        row.contains("différent")
            && row.contains("Version de l’administratrice")
            && row.contains("Version de Marie"),
        "{row}"
    );
    assert_eq!(
        field_value(&second, "description").unwrap(),
        "Version de Marie",
        "what Marie typed is kept"
    );
    assert_eq!(
        field_value(&second, "version").unwrap(),
        "2",
        "the form now carries the fresh version"
    );

    let stored: String = sqlx::query_scalar("select description from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        stored, "Version de l’administratrice",
        "the first save stands"
    );

    // Re-applying her input on the fresh version goes through.
    let retry_fields = with(
        &marie_form,
        &[("description", "Version de Marie"), ("version", "2")],
    );
    let retry = marie
        .post(
            &format!("/produits/{slug}/modifier"),
            &as_refs(&retry_fields),
        )
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
    let stored: String = sqlx::query_scalar("select description from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, "Version de Marie");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn only_members_and_admins_may_write(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut admin, &app.db, "Protégé").await;
    let fields = edit_fields(&mut admin, &slug).await;
    let someone = create_user(&app.db, Role::Editor, "Paul Durand").await;
    let idea = phase(&app.db, "MVP").await.to_string();

    let (mut reader, _) = app.signed_in(Role::Reader).await;
    let (mut outsider, _) = app.signed_in(Role::Editor).await;
    for client in [&mut reader, &mut outsider] {
        let sheet = client.get(&format!("/produits/{slug}")).await;
        assert_eq!(sheet.status, StatusCode::OK, "everyone reads");
        assert!(!sheet.text("main").contains("Modifier la fiche"));
        assert!(!sheet.text("main").contains("Changer de phase"));
        for page in [
            client.get(&format!("/produits/{slug}/modifier")).await,
            client
                .post(
                    &format!("/produits/{slug}/modifier"),
                    &as_refs(&with(&fields, &[("name", "Piraté")])),
                )
                .await,
            client.get(&format!("/produits/{slug}/phase")).await,
            client
                .post(
                    &format!("/produits/{slug}/phase"),
                    &[
                        ("phase_id", &idea),
                        ("changed_on", "2026-01-01"),
                        ("comment", "x"),
                    ],
                )
                .await,
            client.get(&format!("/produits/{slug}/archiver")).await,
            client
                .post(&format!("/produits/{slug}/archiver"), &[])
                .await,
            client
                .post(&format!("/produits/{slug}/restaurer"), &[])
                .await,
            client
                .post(
                    &format!("/produits/{slug}/membres"),
                    &[("user_id", &someone.id.to_string())],
                )
                .await,
            client
                .post(
                    &format!("/produits/{slug}/membres/retirer"),
                    &[("user_id", &someone.id.to_string())],
                )
                .await,
        ] {
            assert_eq!(page.status, StatusCode::FORBIDDEN);
        }
    }
    let create = reader.post("/produits", &[("name", "Lecteur")]).await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reader.get("/produits/nouveau").await.status,
        StatusCode::FORBIDDEN
    );

    let name: String = sqlx::query_scalar("select name from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Protégé");
    let audit: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, 1);

    // Once a member, the outsider may edit.
    let added = admin
        .post(
            &format!("/produits/{slug}/membres"),
            &[("user_id", &someone.id.to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let mut paul = app.client();
    paul.login(&someone.email, common::PASSWORD).await;
    let saved = paul
        .post(
            &format!("/produits/{slug}/modifier"),
            &as_refs(&with(&fields, &[("name", "Protégé et modifié")])),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // A forged member id is refused with a message.
    let forged = admin
        .post(
            &format!("/produits/{slug}/membres"),
            &[("user_id", &Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        forged
            .text("#user_id-erreur")
            .contains("Choisissez un éditeur actif")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_phase_change_is_dated_commented_and_shown(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "En route").await;
    let mvp = phase(&app.db, "MVP").await.to_string();

    let refused = editor
        .post(
            &format!("/produits/{slug}/phase"),
            &[
                ("phase_id", &mvp),
                ("changed_on", "2199-01-01"),
                ("comment", "  "),
                ("decision", "go"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#changed_on-erreur"),
        "La date du changement ne peut pas être dans le futur."
    );
    assert!(refused.text("#comment-erreur").starts_with("Expliquez"));
    assert_eq!(field_value(&refused, "phase_id").unwrap(), mvp);

    let today = boussole::web::filters::today();
    let done = editor
        .post(
            &format!("/produits/{slug}/phase"),
            &[
                ("phase_id", &mvp),
                ("changed_on", &today.to_string()),
                ("comment", "MVP validé en comité"),
                ("decision", "go"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let sheet = editor.get(&format!("/produits/{slug}")).await;
    assert_eq!(sheet.text("#phase"), "Phase : MVP");
    let latest = sheet.texts("section[aria-labelledby=historique-phases] tbody tr")[0].clone();
    assert!(
        latest.contains("Idée → MVP")
            && latest.contains("Go")
            && latest.contains("MVP validé en comité"),
        "{latest}"
    );
    let history = editor.get(&format!("/produits/{slug}/historique")).await;
    assert_eq!(
        history.texts(".bsl-history li > p strong")[0],
        "Marie Editrice a changé la phase de Idée à MVP"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn archiving_asks_first_hides_from_the_portfolio_and_can_be_undone(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "Éphémère").await;
    let confirm = editor.get(&format!("/produits/{slug}/archiver")).await;
    assert!(confirm.text("h1").contains("Archiver « Éphémère » ?"));
    assert!(!editor.get("/").await.text("#portefeuille").is_empty());

    editor
        .post(&format!("/produits/{slug}/archiver"), &[])
        .await;
    let sheet = editor.get(&format!("/produits/{slug}")).await;
    assert_eq!(sheet.status, StatusCode::OK, "still readable");
    assert!(sheet.text(".fr-alert").contains("Produit archivé"));
    assert!(
        !editor
            .get("/")
            .await
            .text("#portefeuille tbody")
            .contains("Éphémère")
    );
    assert!(
        editor
            .get("/?archives=archives")
            .await
            .text("#portefeuille tbody")
            .contains("Éphémère")
    );

    editor
        .post(&format!("/produits/{slug}/restaurer"), &[])
        .await;
    assert!(
        editor
            .get("/")
            .await
            .text("#portefeuille tbody")
            .contains("Éphémère")
    );
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_events order by id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(actions, ["create", "archive", "restore"]);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn markup_in_a_product_name_is_shown_as_text_everywhere(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "<script>alert(1)</script>").await;
    assert_eq!(slug, "script-alert-1-script");
    for path in [
        format!("/produits/{slug}"),
        format!("/produits/{slug}/historique"),
        "/".into(),
        "/produits".into(),
    ] {
        let page = editor.get(&path).await;
        assert!(
            !page.body.contains("<script>alert(1)"),
            "{path} does not escape"
        );
        assert!(
            page.text("main").contains("<script>alert(1)</script>"),
            "{path} shows the name as text"
        );
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_history_is_paginated_newest_first(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "Bavard").await;
    for i in 0..35 {
        let fields = edit_fields(&mut editor, &slug).await;
        let saved = editor
            .post(
                &format!("/produits/{slug}/modifier"),
                &as_refs(&with(
                    &fields,
                    &[("description", &format!("Description {i}"))],
                )),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
    }
    let first = editor.get(&format!("/produits/{slug}/historique")).await;
    let sentences = first.texts(".bsl-history li > p strong");
    assert_eq!(sentences.len(), 30);
    assert!(sentences[0].contains("« Description 33 » à « Description 34 »"));
    assert!(first.text(".fr-pagination").contains("Plus anciennes"));
    let second = editor
        .get(&format!("/produits/{slug}/historique?page=2"))
        .await;
    let rest = second.texts(".bsl-history li > p strong");
    assert_eq!(rest.len(), 6);
    assert_eq!(rest.last().unwrap(), "Marie Editrice a créé le produit");
    // The application cannot rewrite history.
    let tamper = sqlx::query("update audit_events set actor_name = 'Personne'")
        .execute(&app.db)
        .await;
    assert!(tamper.is_err());
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_last_update_is_the_latest_change_of_anything_shown_in_paris_time(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "Horloge").await;
    // As if everything had happened on a summer night: 22:30 UTC is 00:30 the next day in Paris.
    for statement in [
        "alter table audit_events disable trigger audit_events_no_update_or_delete",
        "update audit_events set at = '2026-07-14T22:30:00Z'",
        "update products set updated_at = '2026-07-14T22:30:00Z'",
        "alter table audit_events enable trigger audit_events_no_update_or_delete",
    ] {
        sqlx::query(statement).execute(&app.db).await.unwrap();
    }
    let sheet = editor.get(&format!("/produits/{slug}")).await;
    assert!(
        sheet.text("dl").contains("15/07/2026 à 00:30"),
        "{}",
        sheet.text("dl")
    );

    // Writing the vision changes the product's last update, though not the product row.
    let form = editor
        .get(&format!("/produits/{slug}/vision/modifier"))
        .await;
    let saved = editor
        .submit(
            &form,
            "main form",
            &[("statement", "Aider les aidants à souffler.")],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let sheet = editor.get(&format!("/produits/{slug}")).await;
    let now = boussole::web::filters::datetime_short(chrono::Utc::now());
    let shown = sheet.text("dl");
    assert!(!shown.contains("15/07/2026"), "{shown}");
    assert!(shown.contains(&now[..10]), "{shown} / {now}");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn creating_a_product_with_a_close_name_warns_and_links_to_it(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &app.db, "Aide au Répit").await;
    // A different product with shared words is fine.
    create_product(&mut editor, &app.db, "Relais Répit Aidants").await;

    let form = editor.get("/produits/nouveau").await;
    let direction: uuid::Uuid =
        sqlx::query_scalar("select id from directions order by position limit 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let direction = Some(direction.to_string());
    let warned = editor
        .submit(
            &form,
            "main form",
            &[
                ("name", "Aide au répit"),
                ("typology", "demarches"),
                ("direction_id", direction.as_deref().unwrap_or_default()),
            ],
        )
        .await;
    assert_eq!(
        warned.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        warned.text("main")
    );
    assert!(
        warned
            .text("#name-erreur")
            .starts_with("Un produit au nom proche existe déjà"),
        "{}",
        warned.text("main")
    );
    let links = warned.texts("#produits-proches li");
    assert_eq!(links, ["Aide au Répit"]);
    assert!(warned.body.contains(&format!("href=\"/produits/{slug}\"")));
    let before: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(before, 2);

    // Confirmed as another product: created.
    let created = editor
        .submit(
            &warned,
            "main form",
            &[("distinct", "on"), ("slug", "aide-au-repit-bis")],
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{}",
        created.text("main")
    );
}

/// The sheet runs the same number of queries whatever the product holds: the demo's fullest
/// product, then the same with ten more objectives, indicators, measurements, initiatives and
/// people.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_sheet_runs_a_fixed_number_of_queries_whatever_the_product_holds(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut pm, _) = app.signed_in(Role::Admin).await;
    // The product's other pages, reached from the sheet's links: an indicator, the current
    // roadmap, the roles with the RACI matrix.
    let (before, few) = common::count_queries(pm.get("/produits/aide-au-repit")).await;
    let links: Vec<String> = before
        .links()
        .into_iter()
        .map(|(_, href)| href.split('#').next().unwrap_or_default().to_owned())
        .collect();
    let first = |prefix: &str| {
        links
            .iter()
            .find(|href| href.len() > prefix.len() && href.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link to {prefix} on the sheet"))
            .clone()
    };
    let pages = [
        first("/produits/aide-au-repit/indicateurs/"),
        first("/produits/aide-au-repit/roadmaps/"),
        "/produits/aide-au-repit/roles".to_owned(),
    ];
    let mut counts = Vec::new();
    for page in &pages {
        let (shown, n) = common::count_queries(pm.get(page)).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}");
        counts.push(n);
    }
    sqlx::raw_sql(
        "with p as (select id from products where slug = 'aide-au-repit'),
              o as (insert into objectives (product_id, title, position)
                    select p.id, 'Objectif ' || n, 100 + n from p, generate_series(1, 10) n returning id, product_id),
              i as (insert into indicators (product_id, objective_id, name, kind, unit, direction, frequency, source,
                                            baseline_value, baseline_date)
                    select o.product_id, o.id, 'Indicateur ' || o.id, 'succes', '', 'hausse', 'mensuelle', 'autre',
                           0, current_date - 30
                    from o returning id)
         insert into measurements (indicator_id, measured_on, value) select i.id, current_date, 1 from i;
         insert into people (product_id, name, team) select id, 'Personne ' || n, 'dnum'
           from products, generate_series(1, 10) n where slug = 'aide-au-repit';
         insert into initiatives (roadmap_id, title, kind, status, starts_on, ends_on)
           select r.id, 'Initiative ' || n, 'action', 'prevue', r.start_month, r.start_month
           from roadmaps r join products p on p.id = r.product_id, generate_series(1, 10) n
           where p.slug = 'aide-au-repit';
         -- What every write does in its transaction: the product's revision moves.
         update product_health set revision = nextval('product_revisions')
           where product_id = (select id from products where slug = 'aide-au-repit');",
    )
    .execute(&db)
    .await
    .unwrap();
    let (after, many) = common::count_queries(pm.get("/produits/aide-au-repit")).await;
    assert_eq!(
        (before.status, after.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert!(
        after.body.len() > before.body.len() && after.text("main").contains("Indicateur "),
        "the sheet shows what was added"
    );
    assert_eq!(few, many, "queries before and after adding to the product");
    assert!(many <= 6, "{many} queries for the sheet");
    // Seen again while nothing changed: the sections computed for this revision are reused.
    let (again, kept) = common::count_queries(pm.get("/produits/aide-au-repit")).await;
    assert_eq!(again.text("main"), after.text("main"));
    assert!(kept <= 2, "{kept} queries for the sheet seen again");
    for (page, before) in pages.iter().zip(counts) {
        let (shown, after) = common::count_queries(pm.get(page)).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}");
        assert_eq!(
            before, after,
            "{page}: queries before and after adding to the product"
        );
        assert!(after <= 6, "{page}: {after} queries");
    }
}

/// The sheet carries a validator: the same viewer asking again gets `304` from the product's
/// change stamp alone; an edit, another viewer, or a message to show get the page.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_sheet_answers_not_modified_until_something_on_the_product_changes(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let sheet = "/produits/aide-au-repit";
    let first = admin.get(sheet).await;
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));
    let (again, queries) = common::count_queries(admin.revalidate(sheet, &etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert!(queries <= 2, "{queries} statements for a 304");

    // A reader holding the admin's version is another viewer: the whole page.
    let (mut reader, _) = app.signed_in(Role::Reader).await;
    let theirs = reader.revalidate(sheet, &etag).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_ne!(theirs.header("etag"), Some(etag.as_str()));

    // An edit in a section (a RACI activity, through its form): the page again, with it.
    let form = admin
        .get(&format!("{sheet}/roles/activites/nouvelle"))
        .await;
    let added = admin
        .submit(
            &form,
            "form[action$='/roles/activites']",
            &[("name", "Revue de sécurité")],
        )
        .await;
    assert!(added.status.is_redirection(), "{}", added.text("main"));
    let after = admin.revalidate(sheet, &etag).await;
    assert_eq!(after.status, StatusCode::OK, "the edit shows");
    assert_ne!(after.text("main"), first.text("main"));
    assert_ne!(after.header("etag"), Some(etag.as_str()));
}

/// An administrator who makes a member a reader changes who may edit the sheet: a browser
/// holding the sheet gets the new list, not a `304`.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_member_made_reader_by_the_administration_leaves_the_sheet_at_once(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let (member, name): (Uuid, String) = sqlx::query_as(
        "select u.id, u.display_name from people m join users u on u.id = m.user_id
         join products p on p.id = m.product_id where p.slug = 'aide-au-repit' and m.can_edit limit 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let sheet = "/produits/aide-au-repit";
    let editors = |page: &common::Page| {
        page.texts("main p")
            .into_iter()
            .find(|p| p.starts_with("Peuvent modifier cette fiche"))
            .unwrap_or_default()
    };
    let first = admin.get(sheet).await;
    assert!(editors(&first).contains(&name));
    let etag = first.header("etag").unwrap().to_owned();

    let accounts = admin.get("/admin/utilisateurs").await;
    let form = format!("form[action='/admin/utilisateurs/{member}/role']");
    let changed = admin.submit(&accounts, &form, &[("role", "reader")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);

    let after = admin.revalidate(sheet, &etag).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(!editors(&after).contains(&name), "{}", editors(&after));
}
