//! The vision: edit, completeness, review, history, comparison, restore, conflicts, dashboard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::{auth::model::Role, vision::model::STATEMENT_MAX};
use common::{Client, TestApp, count_queries, create_product, field_value};
use sqlx::PgPool;

const STATEMENT: &str =
    "Permettre aux proches aidants de trouver un répit près de chez eux, en quelques minutes.";

async fn save_vision(client: &mut Client, slug: &str, parts: &[(&str, &str)]) -> common::Page {
    let form = client
        .get(&format!("/produits/{slug}/vision/modifier"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let version = field_value(&form, "version").unwrap();
    let mut fields: Vec<(&str, &str)> = vec![("version", &version)];
    fields.extend_from_slice(parts);
    client
        .post(&format!("/produits/{slug}/vision/modifier"), &fields)
        .await
}

fn full_vision() -> Vec<(&'static str, &'static str)> {
    vec![
        ("statement", STATEMENT),
        (
            "raison_detre",
            "Les aidants s’épuisent faute de relais connus",
        ),
        ("users", "Les proches aidants et les plateformes de répit"),
        (
            "problems",
            "Offre dispersée, places introuvables, démarches longues",
        ),
        (
            "solution",
            "Un annuaire à jour avec les disponibilités réelles",
        ),
        ("impact", "Moins d’hospitalisations d’aidants épuisés"),
    ]
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_vision_is_written_in_steps_and_its_completeness_shown(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Aide au Répit").await;
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(
        sheet
            .text("#vision")
            .contains("La vision de ce produit n’est pas encore rédigée.")
    );
    assert_eq!(sheet.text("#vision-score"), "Complétude 0/6");

    // An empty form is allowed: a vision is drafted in steps.
    let empty = save_vision(&mut pm, &slug, &[]).await;
    assert_eq!(empty.status, StatusCode::SEE_OTHER);

    let partial = save_vision(
        &mut pm,
        &slug,
        &[
            ("statement", STATEMENT),
            ("users", "À voir"),
            ("impact", "Moins d’aidants épuisés"),
        ],
    )
    .await;
    assert_eq!(partial.status, StatusCode::SEE_OTHER);
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert_eq!(sheet.text(".bsl-vision-statement"), STATEMENT);
    assert_eq!(sheet.text("#vision-score"), "Complétude 2/6");
    let checklist = sheet.texts(".bsl-checklist li");
    assert_eq!(checklist[0], "✔ Énoncé de vision : renseigné");
    assert_eq!(
        checklist[2], "✘ Utilisateurs : à compléter",
        "two words do not count"
    );
    assert!(
        sheet
            .text("#vision-relecture")
            .contains("Prochaine relecture avant le")
    );

    save_vision(&mut pm, &slug, &full_vision()).await;
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert_eq!(sheet.text("#vision-score"), "Complétude 6/6");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn wrong_input_is_refused_next_to_the_field_and_markup_stays_text(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Bavard").await;
    let long = "a".repeat(STATEMENT_MAX + 20);
    let refused = save_vision(
        &mut pm,
        &slug,
        &[
            ("statement", &long),
            ("impact", "Un impact réel et mesurable"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#statement-erreur"),
        "Énoncé de vision : 280 caractères au plus (300 saisis, 20 de trop)."
    );
    assert_eq!(
        refused.text("#statement-compteur"),
        "280 caractères au plus — 300 saisis."
    );
    assert_eq!(field_value(&refused, "statement").unwrap(), long);
    assert_eq!(
        field_value(&refused, "impact").unwrap(),
        "Un impact réel et mesurable"
    );
    let versions: i64 = sqlx::query_scalar("select count(*) from vision_versions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(versions, 0, "nothing half-saved");

    save_vision(
        &mut pm,
        &slug,
        &[("statement", "<script>alert('x')</script> une vision piégée")],
    )
    .await;
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(!sheet.body.contains("<script>alert('x')"));
    assert!(
        sheet
            .text(".bsl-vision-statement")
            .starts_with("<script>alert('x')</script>")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn history_compares_two_versions_word_by_word_and_restores_one(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    save_vision(
        &mut pm,
        &slug,
        &[("statement", "Aider les aidants à souffler")],
    )
    .await;
    save_vision(
        &mut pm,
        &slug,
        &[("statement", "Aider tous les proches aidants à souffler")],
    )
    .await;

    let history = pm.get(&format!("/produits/{slug}/vision/historique")).await;
    let rows = history.texts("tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("2 (actuelle)") && rows[0].contains("Marie Editrice"));

    let compare = pm
        .get(&format!("/produits/{slug}/vision/comparer?de=1&a=2"))
        .await;
    assert_eq!(compare.status, StatusCode::OK);
    let added: Vec<String> = compare.texts("ins");
    assert!(
        added.iter().any(|a| a.contains("tous")) && added.iter().any(|a| a.contains("proches")),
        "{added:?}"
    );
    assert!(compare.text("#diff-1").contains("Énoncé de vision"));
    assert!(
        compare.text("main").contains("[ajout : tous ]"),
        "insertions are announced, not only coloured"
    );
    let reverse = pm
        .get(&format!("/produits/{slug}/vision/comparer?de=2&a=1"))
        .await;
    assert!(reverse.texts("del").iter().any(|d| d.contains("tous")));
    assert_eq!(
        pm.get(&format!("/produits/{slug}/vision/comparer?de=9&a=1"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        pm.get(&format!("/produits/{slug}/vision/comparer?de=x"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Restoring version 1 creates version 3; history is never rewritten.
    let restored = pm
        .post(
            &format!("/produits/{slug}/vision/restaurer"),
            &[("number", "1"), ("version", "2")],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert_eq!(
        sheet.text(".bsl-vision-statement"),
        "Aider les aidants à souffler"
    );
    let history = pm.get(&format!("/produits/{slug}/vision/historique")).await;
    let rows = history.texts("tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].contains("3 (actuelle) — restauration de la version 1"));

    // A restore based on a stale version is refused and restores nothing.
    let stale = pm
        .post(
            &format!("/produits/{slug}/vision/restaurer"),
            &[("number", "2"), ("version", "2")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    let count: i64 = sqlx::query_scalar("select count(*) from vision_versions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 3);

    let audit = pm.get(&format!("/produits/{slug}/historique")).await;
    let sentences = audit.texts(".bsl-history li > p strong");
    assert_eq!(
        sentences[0],
        "Marie Editrice a restauré la version 1 de la vision"
    );
    assert_eq!(
        sentences[1],
        "Marie Editrice a modifié la vision (énoncé de vision)"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_people_editing_the_vision_at_once_lose_nothing(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut admin, &app.db, "Disputé").await;
    let (mut marie, marie_user) = app.signed_in(Role::Editor).await;
    sqlx::query(
        "insert into people (product_id, name, team, user_id, can_edit)
         select id, 'Marie', 'dnum', $1, true from products",
    )
    .bind(marie_user.id)
    .execute(&app.db)
    .await
    .unwrap();
    let admin_form = admin
        .get(&format!("/produits/{slug}/vision/modifier"))
        .await;
    let marie_form = marie
        .get(&format!("/produits/{slug}/vision/modifier"))
        .await;
    let version = field_value(&admin_form, "version").unwrap();
    assert_eq!(field_value(&marie_form, "version").unwrap(), version);

    let first = admin
        .post(
            &format!("/produits/{slug}/vision/modifier"),
            &[
                ("version", &version),
                ("statement", "La vision de l’administratrice"),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = marie
        .post(
            &format!("/produits/{slug}/vision/modifier"),
            &[
                ("version", &version),
                ("statement", "La vision de Marie"),
                ("impact", "Son impact attendu"),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let row = second
        .texts(".bsl-conflict tbody tr")
        .into_iter()
        .find(|r| r.starts_with("Énoncé"))
        .unwrap();
    assert!(
        row.contains("La vision de l’administratrice") && row.contains("La vision de Marie"),
        "{row}"
    );
    assert_eq!(
        field_value(&second, "statement").unwrap(),
        "La vision de Marie"
    );
    assert_eq!(
        field_value(&second, "impact").unwrap(),
        "Son impact attendu"
    );
    let statement: String = sqlx::query_scalar("select statement from visions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(statement, "La vision de l’administratrice");

    let fresh = field_value(&second, "version").unwrap();
    let retry = marie
        .post(
            &format!("/produits/{slug}/vision/modifier"),
            &[("version", &fresh), ("statement", "La vision de Marie")],
        )
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn marking_the_vision_reviewed_clears_the_flag_without_a_new_version(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Ancien").await;
    let nothing = pm
        .post(&format!("/produits/{slug}/vision/relue"), &[])
        .await;
    assert_eq!(nothing.status, StatusCode::SEE_OTHER);
    assert!(
        pm.get(&format!("/produits/{slug}"))
            .await
            .text(".fr-alert")
            .contains("pas encore rédigée")
    );

    save_vision(&mut pm, &slug, &full_vision()).await;
    // Seven months pass: the vision was written then, and the dashboard's stored health dates
    // from before, so it is computed again.
    sqlx::raw_sql(
        "update visions set edited_at = now() - interval '7 months';
         update product_health set valid_until = current_date;",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert_eq!(sheet.text("#vision-a-revoir"), "À revoir");
    assert!(
        pm.get("/?vision=a-revoir")
            .await
            .text("#portefeuille tbody")
            .contains("Ancien")
    );

    let reviewed = pm
        .post(&format!("/produits/{slug}/vision/relue"), &[])
        .await;
    assert_eq!(reviewed.status, StatusCode::SEE_OTHER);
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(sheet.text("#vision-a-revoir").is_empty());
    assert!(
        sheet
            .text("#vision-relecture")
            .starts_with("Relue et confirmée le")
    );
    assert!(
        !pm.get("/?vision=a-revoir")
            .await
            .text("#portefeuille tbody")
            .contains("Ancien")
    );
    let versions: i64 = sqlx::query_scalar("select count(*) from vision_versions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(versions, 1);
    let action: String =
        sqlx::query_scalar("select action from audit_events order by id desc limit 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(action, "vision-review");

    // The admin shortens the period: a vision edited 2 months ago becomes due at 1 month.
    sqlx::query("update visions set edited_at = now() - interval '2 months', reviewed_at = null")
        .execute(&app.db)
        .await
        .unwrap();
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    assert_eq!(
        admin
            .post(
                "/admin/parametres",
                &[("review_months", "0"), ("share_max_days", "90")]
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        admin
            .post(
                "/admin/parametres",
                &[("review_months", "1"), ("share_max_days", "90")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        pm.get(&format!("/produits/{slug}"))
            .await
            .text("#vision-a-revoir"),
        "À revoir"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn only_members_and_admins_write_the_vision(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut admin, &app.db, "Gardé").await;
    save_vision(
        &mut admin,
        &slug,
        &[("statement", "Une vision que personne d’autre ne touche")],
    )
    .await;
    for role in [Role::Reader, Role::Editor] {
        let (mut other, _) = app.signed_in(role).await;
        let sheet = other.get(&format!("/produits/{slug}")).await;
        assert!(!sheet.text("#vision").contains("Modifier la vision"));
        assert!(!sheet.text("#vision").contains("Vision relue"));
        assert_eq!(
            other
                .get(&format!("/produits/{slug}/vision/historique"))
                .await
                .status,
            StatusCode::OK,
            "everyone reads"
        );
        for page in [
            other
                .get(&format!("/produits/{slug}/vision/modifier"))
                .await,
            other
                .post(
                    &format!("/produits/{slug}/vision/modifier"),
                    &[("version", "1"), ("statement", "Piratée")],
                )
                .await,
            other
                .post(&format!("/produits/{slug}/vision/relue"), &[])
                .await,
            other
                .post(
                    &format!("/produits/{slug}/vision/restaurer"),
                    &[("number", "1"), ("version", "1")],
                )
                .await,
        ] {
            assert_eq!(page.status, StatusCode::FORBIDDEN);
        }
    }
    let statement: String = sqlx::query_scalar("select statement from visions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(statement, "Une vision que personne d’autre ne touche");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_shows_and_filters_vision_completeness_with_constant_queries(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let complete = create_product(&mut pm, &app.db, "Complet").await;
    create_product(&mut pm, &app.db, "Vide").await;
    save_vision(&mut pm, &complete, &full_vision()).await;

    let page = pm.get("/?tri=vision&ordre=desc").await;
    let rows = page.texts("#portefeuille tbody tr");
    assert!(
        rows[0].starts_with("Complet") && rows[0].contains("6/6"),
        "{rows:?}"
    );
    assert!(rows[1].contains("0/6"));
    let incomplete = pm.get("/?vision=incomplete").await;
    assert_eq!(incomplete.texts("#portefeuille tbody tr th"), ["Vide"]);
    let csv = pm.get("/portefeuille.csv?vision=incomplete").await;
    assert!(csv.body.contains("Vide;") && !csv.body.contains("Complet;"));

    // Each measured once the rows are read (by the view before it) and before that view of
    // the page was kept whole (see web::memo::Rendered).
    pm.get("/").await;
    let (_, few) = count_queries(pm.get("/?tri=vision")).await;
    for i in 0..50 {
        create_product(&mut pm, &app.db, &format!("Produit {i}")).await;
    }
    pm.get("/").await;
    let (_, many) = count_queries(pm.get("/?tri=vision")).await;
    assert_eq!(few, many);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_policy_served_is_written_with_the_vision_but_not_counted(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Aligné").await;
    let form = pm.get(&format!("/produits/{slug}/vision/modifier")).await;
    assert!(
        form.text("label[for=alignment]")
            .starts_with("Priorités ministérielles / politique publique servie")
    );
    let saved = pm
        .submit(
            &form,
            "main form",
            &[
                ("statement", "Aider les aidants à souffler."),
                ("alignment", "Stratégie nationale « Agir pour les aidants »"),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(
        sheet
            .text("#vision-alignement")
            .contains("Agir pour les aidants")
    );
    // Only the statement counts: 1 of 6.
    assert_eq!(sheet.text("#vision-score"), "Complétude 1/6");
    let form = pm.get(&format!("/produits/{slug}/vision/modifier")).await;
    assert_eq!(
        field_value(&form, "alignment").as_deref(),
        Some("Stratégie nationale « Agir pour les aidants »")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_statement_of_several_sentences_waits_for_confirmation(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Bavard").await;
    let form = pm.get(&format!("/produits/{slug}/vision/modifier")).await;
    let statement = "Aider les aidants à souffler. Simplifier leurs démarches.";
    let held = pm
        .submit(&form, "main form", &[("statement", statement)])
        .await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        held.text("#avertissements")
            .contains("compte 2 phrases : le guide demande une seule phrase")
    );
    assert_eq!(field_value(&held, "statement").as_deref(), Some(statement));
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(!sheet.text("main").contains("Simplifier leurs démarches"));
    let saved = pm.submit(&held, "main form", &[("confirmer", "oui")]).await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(sheet.text("main").contains("Simplifier leurs démarches"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_vision_credits_the_products_people_business_people_included(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, me) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Co-construit").await;
    let form = pm
        .get(&format!("/produits/{slug}/roles/personnes/nouvelle"))
        .await;
    let saved = pm
        .submit(
            &form,
            "main form",
            &[("name", "Lucie Métier"), ("team", "metier")],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let form = pm.get(&format!("/produits/{slug}/vision/modifier")).await;
    let html = form.html();
    let offered: Vec<String> = html
        .select(&scraper::Selector::parse("#contributors label").unwrap())
        .map(|l| l.text().collect::<String>())
        .collect();
    assert_eq!(offered, ["Lucie Métier", me.name.as_str()]);
    let lucie = html
        .select(&scraper::Selector::parse("#contributors input").unwrap())
        .find(|i| {
            html.select(
                &scraper::Selector::parse(&format!(
                    "label[for='{}']",
                    i.value().attr("id").unwrap()
                ))
                .unwrap(),
            )
            .any(|l| l.text().collect::<String>() == "Lucie Métier")
        })
        .and_then(|i| i.value().attr("value").map(str::to_owned))
        .unwrap();
    let saved = pm
        .submit(
            &form,
            "main form",
            &[
                ("statement", "Aider les aidants à souffler."),
                ("contributors", &lucie),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    assert!(
        sheet
            .text("main")
            .contains("Co-construite avec Lucie Métier.")
    );
}
