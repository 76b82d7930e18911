//! The portfolio dashboard: filters, search, sort, counts, CSV, constant query count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use common::{TestApp, count_queries};
use sqlx::PgPool;

/// Inserts `n` products straight into the database, spread over directions, phases, typologies.
async fn seed(db: &PgPool, n: i32) {
    sqlx::query(
        "insert into products (slug, name, description, direction_id, typology, phase_id, phase_since, rgaa)
         select 'produit-' || i, 'Produit ' || i, 'Description ' || i,
                (select id from directions order by position offset (i % 5) limit 1),
                (array['dossiers','contenus','demarches','statistiques'])[1 + i % 4],
                (select id from phases order by position offset (i % 6) limit 1),
                current_date - i, 'non'
         from generate_series(1, $1) as i",
    )
    .bind(n)
    .execute(db)
    .await
    .unwrap();
    // Every product has its (empty) vision, as when created through the application.
    sqlx::query("insert into visions (product_id) select id from products on conflict do nothing")
        .execute(db)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_filters_searches_sorts_and_counts(db: PgPool) {
    let app = TestApp::new(db);
    seed(&app.db, 12).await;
    let (mut client, _) = app.signed_in(Role::Reader).await;

    let all = client.get("/").await;
    assert_eq!(all.texts("#portefeuille tbody tr").len(), 12);
    assert_eq!(all.text("#portefeuille caption"), "12 produits affichés");
    let headers = all.texts("#portefeuille thead th");
    assert_eq!(
        headers,
        [
            "Produit ▲",
            "Direction",
            "Typologie",
            "Phase",
            "Jours dans la phase",
            "Vision",
            "Indicateurs",
            "Roadmap",
            "RACI",
            "Conformité",
            "Dernière mise à jour"
        ]
    );
    // Counts per phase: 12 products over 6 phases.
    assert!(
        all.texts(".bsl-phase-counts li")
            .iter()
            .all(|c| c.ends_with(": 2"))
    );

    let mvp: uuid::Uuid = sqlx::query_scalar("select id from phases where name = 'MVP'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let filtered = client.get(&format!("/?phase={mvp}")).await;
    let phases: Vec<String> = filtered.texts("#portefeuille tbody tr td:nth-child(4)");
    assert_eq!(phases, ["MVP", "MVP"]);

    let sante: uuid::Uuid = sqlx::query_scalar("select id from directions where name = 'Santé'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let by_direction = client
        .get(&format!("/?direction={sante}&typologie=contenus"))
        .await;
    for row in by_direction.texts("#portefeuille tbody tr") {
        assert!(
            row.contains("Santé") && row.contains("Gestion de contenus"),
            "{row}"
        );
    }

    let search = client.get("/?q=DESCRIPTION+11").await;
    assert_eq!(
        search.texts("#portefeuille tbody tr td:first-child"),
        ["Produit 11"]
    );

    let by_days = client.get("/?tri=jours&ordre=desc").await;
    let names = by_days.texts("#portefeuille tbody tr td:first-child");
    assert_eq!(names.first().unwrap(), "Produit 12");
    assert_eq!(names.last().unwrap(), "Produit 1");
    let sorted_header = by_days.html();
    let th = sorted_header
        .select(&scraper::Selector::parse("th[aria-sort]").unwrap())
        .next()
        .unwrap();
    assert_eq!(th.value().attr("aria-sort"), Some("descending"));

    // Nonsense in the URL is ignored, not an error.
    assert_eq!(
        client
            .get("/?phase=rien&tri=%3Cx%3E&archives=peut-etre")
            .await
            .status,
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_csv_export_has_exactly_the_rows_and_columns_shown(db: PgPool) {
    let app = TestApp::new(db);
    seed(&app.db, 12).await;
    sqlx::query("update products set name = '=SOMME(A1)' where slug = 'produit-3'")
        .execute(&app.db)
        .await
        .unwrap();
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let query = "?typologie=statistiques&tri=jours";
    let page = client.get(&format!("/{query}")).await;
    let export = client.get(&format!("/portefeuille.csv{query}")).await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let today = boussole::web::filters::today()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        export.header("content-disposition").unwrap(),
        format!("attachment; filename=\"portefeuille-{today}.csv\"")
    );
    assert!(
        export.body.starts_with('\u{feff}'),
        "a BOM for spreadsheets"
    );

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(export.body.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let shown_headers: Vec<String> = page
        .texts("#portefeuille thead th")
        .into_iter()
        .map(|h| h.trim_end_matches([' ', '▲', '▼']).to_owned())
        .collect();
    assert_eq!(headers, shown_headers);
    let csv_names: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    let shown_names = page.texts("#portefeuille tbody tr td:first-child");
    assert_eq!(csv_names.len(), 3);
    assert_eq!(
        csv_names
            .iter()
            .map(|n| n.trim_start_matches('\''))
            .collect::<Vec<_>>(),
        shown_names
    );
    assert!(
        csv_names.contains(&"'=SOMME(A1)".to_owned()),
        "formulas are neutralised"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_runs_as_many_queries_for_1000_products_as_for_10(db: PgPool) {
    let app = TestApp::new(db);
    let (mut client, _) = app.signed_in(Role::Reader).await;
    seed(&app.db, 10).await;
    // A first visit, so that both measured visits find the session in the same state.
    client.get("/").await;
    let (small, small_count) = count_queries(client.get("/")).await;
    assert_eq!(small.texts("#portefeuille tbody tr").len(), 10);

    sqlx::query("delete from visions")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("delete from products")
        .execute(&app.db)
        .await
        .unwrap();
    seed(&app.db, 1000).await;
    let (large, large_count) = count_queries(client.get("/")).await;
    assert_eq!(large.texts("#portefeuille tbody tr").len(), 1000);

    assert!(small_count > 0, "the counter sees the queries");
    eprintln!("dashboard queries: {small_count} for 10 products, {large_count} for 1000");
    assert_eq!(
        small_count, large_count,
        "queries for 10 products: {small_count}, for 1000: {large_count}"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_empty_portfolio_says_so_and_invites_to_create(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let page = editor.get("/").await;
    assert_eq!(
        page.text(".fr-callout__title"),
        "Aucun produit pour le moment"
    );
    assert!(page.text(".fr-callout").contains("Créer un produit"));
    let (mut reader, _) = app.signed_in(Role::Reader).await;
    assert!(
        !reader
            .get("/")
            .await
            .text(".fr-callout")
            .contains("Créer un produit")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn names_starting_with_an_accented_capital_sort_in_french_order(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    for name in [
        "Veille sanitaire",
        "Élections professionnelles",
        "aide au répit",
    ] {
        common::create_product(&mut editor, &app.db, name).await;
    }
    let names = editor
        .get("/")
        .await
        .texts("#portefeuille tbody tr td:first-child");
    let names: Vec<&str> = names.iter().map(|n| n.split(" ").next().unwrap()).collect();
    assert_eq!(names, ["aide", "Élections", "Veille"]);
    let csv = editor.get("/portefeuille.csv").await.body;
    let (elections, veille) = (csv.find("Élections").unwrap(), csv.find("Veille").unwrap());
    assert!(elections < veille);
    let list = editor.get("/produits").await;
    let text = list.text("main");
    assert!(
        text.find("Élections").unwrap() < text.find("Veille").unwrap(),
        "{text}"
    );
}

/// The stored health against a computation from scratch on `today`.
async fn assert_health_is_fresh(db: &PgPool, today: chrono::NaiveDate, when: &str) {
    use boussole::portfolio::health::{Health, compute};
    let mut conn = db.acquire().await.unwrap();
    let fresh = compute(&mut conn, None, today).await.unwrap();
    assert!(fresh.len() >= 30, "{when}: the demo portfolio");
    for row in fresh {
        let stored: serde_json::Value =
            sqlx::query_scalar("select health from product_health where product_id = $1")
                .bind(row.id)
                .fetch_one(db)
                .await
                .unwrap();
        let stored: Health = serde_json::from_value(stored).unwrap();
        assert_eq!(stored, Health::of(&row), "{when}: {}", row.name);
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_stored_health_is_computed_again_once_its_day_has_passed(db: PgPool) {
    use boussole::portfolio::health::refresh_expired;
    boussole::demo::load(&db, false).await.unwrap();
    let today = boussole::web::filters::today();
    assert_health_is_fresh(&db, today, "after the demo").await;
    assert_eq!(
        refresh_expired(&db, today).await.unwrap(),
        0,
        "all true today"
    );

    // Half a year later: visions fall due, roadmaps end, indicators go stale.
    let later = today + chrono::Days::new(200);
    let products: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        refresh_expired(&db, later).await.unwrap() as i64,
        products,
        "every row recomputed"
    );
    assert_health_is_fresh(&db, later, "200 days later").await;
    let changed: i64 =
        sqlx::query_scalar("select count(*) from product_health where valid_until = $1::date + 1")
            .bind(later)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(changed, products);
    assert_eq!(refresh_expired(&db, later).await.unwrap(), 0);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_reads_the_stored_health_and_computes_without_writing_what_expired(
    db: PgPool,
) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let fresh = client.get("/").await;
    // Yesterday's health for every product, as if the daily recomputation had not run yet.
    sqlx::query("update product_health set valid_until = current_date")
        .execute(&db)
        .await
        .unwrap();
    common::count_writes(&db).await;
    let (recomputed, queries) = count_queries(client.get("/")).await;
    assert_eq!(common::written(&db).await, 0, "the dashboard wrote");
    assert_eq!(
        recomputed.texts("#portefeuille tbody tr"),
        fresh.texts("#portefeuille tbody tr"),
        "the same rows, computed afresh"
    );
    assert!(
        queries > 6,
        "the expired rows were computed: {queries} queries"
    );
    sqlx::query("update product_health set valid_until = current_date + 1")
        .execute(&db)
        .await
        .unwrap();
    let (_, stored_queries) = count_queries(client.get("/")).await;
    assert!(
        stored_queries <= 5,
        "the dashboard reads the stored health: {stored_queries} queries"
    );
}
