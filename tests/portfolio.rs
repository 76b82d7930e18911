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
            "Phase",
            "Jours en phase",
            "Vision",
            "Indicateurs",
            "Roadmap",
            "RACI",
            "Conformité",
            "Mise à jour"
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
    let phases: Vec<String> = filtered.texts("#portefeuille tbody tr td:nth-child(3)");
    assert_eq!(phases, ["MVP", "MVP"]);

    let sante: uuid::Uuid = sqlx::query_scalar("select id from directions where name = 'Santé'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let by_direction = client
        .get(&format!(
            "/?direction={sante}&typologie=contenus&colonnes=choisies&col=direction&col=typologie"
        ))
        .await;
    for row in by_direction.texts("#portefeuille tbody tr") {
        assert!(
            row.contains("Santé") && row.contains("Gestion de contenus"),
            "{row}"
        );
    }

    let search = client.get("/?q=DESCRIPTION+11").await;
    assert_eq!(search.texts("#portefeuille tbody tr th"), ["Produit 11"]);

    let by_days = client.get("/?tri=jours&ordre=desc").await;
    let names = by_days.texts("#portefeuille tbody tr th");
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
    let shown_names = page.texts("#portefeuille tbody tr th");
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
    // A first visit, so that every measured visit finds the session in the same state.
    client.get("/produits").await;
    seed(&app.db, 10).await;
    // The first view after a change reads every row; the next views of other pages of the
    // portfolio read no row again (see portfolio::cache). Both are measured, at both sizes.
    let (small, small_count) = count_queries(client.get("/")).await;
    assert_eq!(small.texts("#portefeuille tbody tr").len(), 10);
    let (again, small_again) = count_queries(client.get("/?page=tout")).await;
    assert_eq!(again.texts("#portefeuille tbody tr").len(), 10);

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
    // The first page: 50 products, light enough to open anywhere; "afficher tout" shows all.
    assert_eq!(large.texts("#portefeuille tbody tr").len(), 50);
    assert_eq!(large.text("#total"), "1000 produits sur 1000");
    assert!(
        large.body.len() <= 80_000,
        "the first page is {} bytes",
        large.body.len()
    );
    let (everything, large_again) = count_queries(client.get("/?page=tout")).await;
    assert_eq!(everything.texts("#portefeuille tbody tr").len(), 1000);
    assert_eq!(
        small_again, large_again,
        "unchanged portfolio: {small_again} queries for 10 products, {large_again} for 1000"
    );
    assert!(small_again < small_count);

    assert!(small_count > 0, "the counter sees the queries");
    eprintln!(
        "dashboard queries: {small_count} for 10 products, {large_count} for 1000; first page {} bytes",
        large.body.len()
    );
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
    let names = editor.get("/").await.texts("#portefeuille tbody tr th");
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
    // Yesterday's health for every product, as if the daily recomputation had not run yet (the
    // revision moves as with any write: the rows kept in memory are not reused).
    sqlx::query(
        "update product_health set valid_until = current_date, revision = nextval('product_revisions')",
    )
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
    sqlx::query(
        "update product_health set valid_until = current_date + 1, revision = nextval('product_revisions')",
    )
        .execute(&db)
        .await
        .unwrap();
    let (_, stored_queries) = count_queries(client.get("/")).await;
    assert!(
        stored_queries <= 5,
        "the dashboard reads the stored health: {stored_queries} queries"
    );
}

/// (count, href) of each "À traiter" tile of the dashboard.
fn tiles(page: &common::Page) -> Vec<(usize, String, String)> {
    let html = page.html();
    let link = scraper::Selector::parse("#tuiles a").unwrap();
    html.select(&link)
        .map(|a| {
            let text: String = a.text().collect();
            let count = text.split_whitespace().next().unwrap().parse().unwrap();
            (count, a.value().attr("href").unwrap().to_owned(), text)
        })
        .collect()
}

/// The number of lines a list page says it holds.
fn list_total(page: &common::Page) -> usize {
    let total = page.text("#total");
    total.split_whitespace().next().unwrap().parse().unwrap()
}

/// Every href of the list's table, in row order.
fn list_links(page: &common::Page, column: usize) -> Vec<(String, String)> {
    let html = page.html();
    let cell =
        scraper::Selector::parse(&format!("#liste tbody tr td:nth-child({column}) a")).unwrap();
    html.select(&cell)
        .map(|a| {
            (
                a.text().collect::<String>().trim().to_owned(),
                a.value().attr("href").unwrap().to_owned(),
            )
        })
        .collect()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn each_tile_counts_what_its_list_names_and_the_lists_agree_with_the_database(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    // One roadmap that ends this month, so that "ending within 30 days" has something to find.
    common::end_a_roadmap_this_month(&db).await;
    let mut conn = db.acquire().await.unwrap();
    boussole::portfolio::health::refresh(&mut conn, None, boussole::web::filters::today())
        .await
        .unwrap();
    drop(conn);
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let dashboard = client.get("/").await;
    let tiles = tiles(&dashboard);
    assert_eq!(tiles.len(), 9, "{tiles:?}");
    for (count, url, label) in &tiles {
        let page = client.get(url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        let shown = if url.starts_with("/portefeuille/") {
            list_total(&page)
        } else {
            page.texts("#portefeuille tbody tr").len()
        };
        assert_eq!(shown, *count, "the tile « {label} » and {url}");
    }
    let count_of = |needle: &str| {
        tiles
            .iter()
            .find(|(_, _, label)| label.contains(needle))
            .unwrap()
            .0
    };

    // Which products lack an accountable (A): the list names exactly the activities the
    // database has without one, among the matrices filled in.
    let without_a: Vec<(String, String)> = sqlx::query_as(
        "select p.name, a.name from raci_activities a join products p on p.id = a.product_id
         where p.archived_at is null
           and exists (select 1 from raci_activities b join raci_cells c on c.activity_id = b.id where b.product_id = p.id)
           and not exists (select 1 from raci_cells c where c.activity_id = a.id and c.letter in ('A', 'A+R'))
         order by 1, 2",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(
        !without_a.is_empty(),
        "the demo has activities without an A"
    );
    let page = client
        .get("/portefeuille/raci?etat=aucun-a&page=tout")
        .await;
    let mut listed: Vec<(String, String)> = list_links(&page, 1)
        .into_iter()
        .zip(list_links(&page, 2))
        .map(|((product, _), (activity, _))| (product, activity))
        .collect();
    listed.sort();
    let mut expected = without_a.clone();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(page.text("#liste tbody").contains("Aucun A"));
    // Each activity links to its row of the product's matrix.
    let (_, anchor) = &list_links(&page, 2)[0];
    let (path, id) = anchor.split_once('#').unwrap();
    let matrix = client.get(path).await;
    assert_eq!(matrix.texts(&format!("tr#{id}")).len(), 1, "{anchor}");

    // Which roadmaps end this month: the one moved above, linked to its page.
    assert!(count_of("se terminant") >= 1);
    let page = client.get("/portefeuille/roadmaps?etat=fin-30-jours").await;
    assert!(
        list_links(&page, 1)
            .iter()
            .any(|(name, _)| name == "Aide au Répit"),
        "{}",
        page.text("#liste")
    );

    // Which indicators are late: each listed one says so on its own page.
    let page = client
        .get("/portefeuille/indicateurs?etat=en-retard&page=tout")
        .await;
    let late = list_links(&page, 2);
    assert_eq!(late.len(), count_of("en retard"));
    for (name, url) in &late {
        let indicator = client.get(url).await;
        assert!(
            indicator.text("main").contains("En retard"),
            "{name} ({url}) is listed as late"
        );
    }

    // Which products have no up-to-date vision: incomplete or due, in one list.
    let incomplete_or_due = list_total(
        &client
            .get("/portefeuille/visions?etat=incomplete&etat=a-revoir")
            .await,
    );
    let incomplete = list_total(&client.get("/portefeuille/visions?etat=incomplete").await);
    let due = list_total(&client.get("/portefeuille/visions?etat=a-revoir").await);
    assert!(incomplete_or_due >= incomplete.max(due) && incomplete_or_due <= incomplete + due);
    let empty_statements: i64 = sqlx::query_scalar(
        "select count(*) from visions v join products p on p.id = v.product_id
         where p.archived_at is null and v.statement = ''",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(incomplete as i64 >= empty_statements);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_list_filters_with_its_form_sorts_pages_and_exports_what_it_shows(db: PgPool) {
    let app = TestApp::new(db.clone());
    seed(&db, 120).await;
    let (mut client, user) = app.signed_in(Role::Reader).await;
    let page = client.get("/portefeuille/visions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(list_total(&page), 120);
    assert_eq!(page.texts("#liste tbody tr").len(), 50);
    assert!(page.text("main").contains("affichées : 1 à 50"));

    // The pages follow one another, the last one holds the rest, "afficher tout" everything.
    let html = page.html();
    let next = scraper::Selector::parse("a.fr-pagination__link--next").unwrap();
    let next_url = html
        .select(&next)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let second = client.get(&next_url).await;
    assert!(second.text("main").contains("affichées : 51 à 100"));
    let third = client.get("/portefeuille/visions?page=3").await;
    assert_eq!(third.texts("#liste tbody tr").len(), 20);
    let beyond = client.get("/portefeuille/visions?page=999").await;
    assert_eq!(beyond.texts("#liste tbody tr").len(), 20, "the last page");
    let all = client.get("/portefeuille/visions?page=tout").await;
    assert_eq!(all.texts("#liste tbody tr").len(), 120);
    let first_names = page.texts("#liste tbody tr td:first-child");
    let second_names = second.texts("#liste tbody tr td:first-child");
    assert!(first_names.iter().all(|n| !second_names.contains(n)));

    // Two directions ticked in the form: the products of either.
    let directions: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("select id, name from directions order by position limit 2")
            .fetch_all(&db)
            .await
            .unwrap();
    let expected: i64 = sqlx::query_scalar(
        "select count(*) from products where direction_id = any($1) and archived_at is null",
    )
    .bind(directions.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .fetch_one(&db)
    .await
    .unwrap();
    let html = page.html();
    let boxes = scraper::Selector::parse("input[name=direction]").unwrap();
    let ids: Vec<String> = html
        .select(&boxes)
        .filter(|b| {
            directions
                .iter()
                .any(|(id, _)| b.value().attr("value") == Some(&id.to_string()))
        })
        .map(|b| b.value().attr("value").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let (action, mut fields) = common::form_fields(&page, "form.bsl-side-filters");
    fields.extend(ids.iter().map(|id| ("direction".to_owned(), id.clone())));
    let query: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let filtered = client.get(&format!("{action}?{}", query.join("&"))).await;
    assert_eq!(list_total(&filtered) as i64, expected);
    assert_eq!(
        filtered.texts("input[name=direction][checked]").len(),
        2,
        "the choices stay ticked"
    );
    assert!(
        filtered
            .texts("a")
            .iter()
            .any(|a| a == "Réinitialiser les filtres")
    );

    // The export holds exactly the lines the filters keep, header first.
    let csv_url = {
        let html = filtered.html();
        let link = scraper::Selector::parse("a[href*='.csv']").unwrap();
        html.select(&link)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_owned()
    };
    let csv = client.get(&csv_url).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.clone();
    assert_eq!(text.lines().count() as i64, expected + 1);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("Produit;Complétude;Éléments manquants")
    );

    // Sorting by product, descending: the reverse of the default order.
    let down = client
        .get("/portefeuille/visions?tri=1&ordre=desc&page=tout")
        .await;
    let mut names = down.texts("#liste tbody tr td:first-child");
    names.reverse();
    assert_eq!(names, all.texts("#liste tbody tr td:first-child"));

    // "Mes produits": those where the viewer is one of the people.
    sqlx::query(
        "insert into people (product_id, name, team, user_id)
         select id, 'Moi', 'dnum', $1 from products where slug in ('produit-1', 'produit-2', 'produit-3')",
    )
    .bind(user.id)
    .execute(&db)
    .await
    .unwrap();
    let page = client.get("/portefeuille/visions").await;
    let mine = client
        .submit(&page, "form.bsl-side-filters", &[("mes", "oui")])
        .await;
    assert_eq!(list_total(&mine), 3);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn each_list_runs_as_many_queries_for_200_products_as_for_10_and_at_most_6(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let refresh = async |db: &PgPool| {
        let mut conn = db.acquire().await.unwrap();
        boussole::portfolio::health::refresh(&mut conn, None, boussole::web::filters::today())
            .await
            .unwrap();
    };
    seed(&db, 10).await;
    refresh(&db).await;
    let lists = ["indicateurs", "risques", "roadmaps", "raci", "visions"];
    client.get("/portefeuille/visions").await;
    let mut small = Vec::new();
    for list in lists {
        let (page, n) = count_queries(client.get(&format!("/portefeuille/{list}"))).await;
        assert_eq!(page.status, StatusCode::OK);
        small.push(n);
    }
    sqlx::raw_sql("delete from visions; delete from raci_activities; delete from product_health; delete from products")
        .execute(&db)
        .await
        .unwrap();
    seed(&db, 200).await;
    refresh(&db).await;
    client.get("/portefeuille/visions").await;
    for (list, small) in lists.into_iter().zip(small) {
        let (page, large) = count_queries(client.get(&format!("/portefeuille/{list}"))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            small, large,
            "{list}: {small} queries for 10 products, {large} for 200"
        );
        assert!(large <= 6, "{list}: {large} queries");
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_list_ignores_what_it_cannot_read_in_its_address(db: PgPool) {
    let app = TestApp::new(db.clone());
    seed(&db, 5).await;
    let (mut client, _) = app.signed_in(Role::Reader).await;
    for query in [
        "?etat=%00&tri=NaN&ordre=%3Cscript%3E&page=-3",
        "?direction=pas-un-uuid&phase=&typologie=%E2%80%AE&mes=1",
        "?tri=99999999999999999999&page=0",
        &format!("?etat={}", "x".repeat(30_000)),
    ] {
        let page = client.get(&format!("/portefeuille/visions{query}")).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{}",
            &query[..query.len().min(80)]
        );
        assert_eq!(list_total(&page), 5);
    }
    let unknown = client.get("/portefeuille/inconnue").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    for path in [
        "/portefeuille/visions.pdf",
        "/portefeuille/visions.csv.xlsx",
    ] {
        assert_eq!(client.get(path).await.status, StatusCode::NOT_FOUND);
    }

    // The dashboard, its exports and its printable page read the same address the same way.
    let hostile = [
        "?vision=%00&raci=non-valide&colonnes=choisies&col=%3Cb%3E&col=nom&page=NaN",
        "?direction=pas-un-uuid&phase=&typologie=%E2%80%AE&mes=1&archives=0",
        &format!("?q={}&tri=99999999999999999999&page=-1", "é".repeat(20_000)),
    ];
    for query in hostile {
        for path in [
            "/",
            "/portefeuille.csv",
            "/portefeuille.xlsx",
            "/portefeuille/impression",
        ] {
            let page = client.get(&format!("{path}{query}")).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{path}{}",
                &query[..query.len().min(80)]
            );
        }
    }
    // Only the name left when every column is unticked.
    let bare = client.get("/?colonnes=choisies").await;
    assert_eq!(bare.texts("#portefeuille thead th"), ["Produit ▲"]);
    assert_eq!(bare.texts("#portefeuille tbody tr").len(), 5);
}

/// The names in the dashboard's table, sorted.
fn dashboard_names(page: &common::Page) -> Vec<String> {
    let mut names = page.texts("#portefeuille tbody tr th");
    names.sort();
    names
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_combines_several_choices_per_filter_and_keeps_its_view_in_the_address(
    db: PgPool,
) {
    boussole::demo::load(&db, false).await.unwrap();
    let truth = common::health_truth(&db).await;
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let page = client.get("/").await;

    // The committee's first question in one view: a vision incomplete or à revoir.
    let visions = client
        .submit(
            &page,
            "#filtres",
            &[("vision", "incomplete"), ("vision", "a-revoir")],
        )
        .await;
    let expected = common::names_where(&truth, |r| r.vision_score < 6 || r.vision_review.is_due());
    assert!(expected.len() > 1 && expected.len() < truth.len());
    assert_eq!(dashboard_names(&visions), expected);
    assert_eq!(
        visions.text("#total"),
        format!("{} produits sur {}", expected.len(), truth.len())
    );
    assert_eq!(visions.texts("input[name=vision][checked]").len(), 2);

    // And, combined with another filter, an activity without A as well.
    let both = client
        .submit(&visions, "#filtres", &[("raci", "aucun-a")])
        .await;
    let expected = common::names_where(&truth, |r| {
        (r.vision_score < 6 || r.vision_review.is_due()) && r.raci.no_a > 0
    });
    assert!(!expected.is_empty());
    assert_eq!(dashboard_names(&both), expected);
    // Each of those shows "Sans A" in its RACI cell, linked to the product's matrix.
    let html = both.html();
    let raci = scraper::Selector::parse("#portefeuille td[data-label=RACI] a").unwrap();
    for link in html.select(&raci) {
        assert!(link.text().collect::<String>().contains("Sans A"));
        assert!(link.value().attr("href").unwrap().ends_with("/roles#raci"));
    }

    // The printable page holds the same products and says which filters made them.
    let print = both
        .links()
        .into_iter()
        .find(|(text, _)| text == "Version imprimable")
        .map(|(_, href)| href)
        .unwrap();
    let printed = client.get(&print).await;
    assert_eq!(dashboard_names(&printed), expected);
    assert!(
        printed
            .text("main")
            .contains("Vision : Vision incomplète ou Vision à revoir ; RACI : Une activité sans A"),
        "{}",
        printed.text("main")
    );

    // Sorting keeps the filters; resetting drops them.
    let sort_url = {
        let html = both.html();
        let header = scraper::Selector::parse("#portefeuille thead th a").unwrap();
        html.select(&header)
            .find(|a| a.text().collect::<String>().starts_with("Phase"))
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_owned()
    };
    assert_eq!(dashboard_names(&client.get(&sort_url).await), expected);
    let reset = both
        .links()
        .into_iter()
        .find(|(text, _)| text == "Réinitialiser les filtres")
        .map(|(_, href)| href)
        .unwrap();
    assert_eq!(
        client
            .get(&reset)
            .await
            .texts("#portefeuille tbody tr")
            .len(),
        truth.len()
    );

    // Columns hidden with the form stay hidden when sorting, and the export follows.
    let fewer = client
        .submit(
            &both,
            "#filtres",
            &[
                ("col", &common::untick("direction")),
                ("col", &common::untick("conformite")),
                ("col", "typologie"),
            ],
        )
        .await;
    let headers = fewer.texts("#portefeuille thead th");
    assert!(headers.iter().any(|h| h.starts_with("Typologie")));
    assert!(
        !headers
            .iter()
            .any(|h| h.starts_with("Direction") || h.starts_with("Conformité")),
        "{headers:?}"
    );
    assert_eq!(dashboard_names(&fewer), expected, "the filters are kept");
    let export = fewer
        .links()
        .into_iter()
        .find(|(text, _)| text == "Exporter en CSV")
        .map(|(_, href)| href)
        .unwrap();
    let csv = client.get(&export).await;
    let header = csv
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        header.contains("Typologie") && !header.contains("Direction"),
        "{header}"
    );
    assert_eq!(csv.body.lines().count(), expected.len() + 1);

    // The same view as a spreadsheet: same header and rows, dates as dates, RACI in words.
    let xlsx = fewer
        .links()
        .into_iter()
        .find(|(text, _)| text == "Exporter en XLSX (Excel)")
        .map(|(_, href)| href)
        .unwrap();
    let (sheet, cells) = client.get(&xlsx).await.xlsx_rows();
    assert_eq!(sheet, "Portefeuille");
    assert_eq!(cells[0].join(";"), header);
    let mut names: Vec<String> = cells[1..].iter().map(|r| r[0].clone()).collect();
    names.sort();
    assert_eq!(names, expected);
    let column = |name: &str| cells[0].iter().position(|h| h == name).unwrap();
    let (raci, updated) = (column("RACI"), column("Mise à jour"));
    for row in &cells[1..] {
        assert!(
            row[raci].starts_with("Sans A : ") && row[raci].contains(" : aucun A"),
            "{row:?}"
        );
        assert!(
            chrono::NaiveDate::parse_from_str(&row[updated], "%Y-%m-%d").is_ok(),
            "a date cell: {row:?}"
        );
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_exports_name_each_late_indicator_with_its_reason(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    // The late indicators, as their list names them: (product, indicator, reason).
    let list = client
        .get("/portefeuille/indicateurs?etat=en-retard&page=tout")
        .await;
    let products = list.texts("#liste tbody tr td:nth-child(1)");
    let indicators = list.texts("#liste tbody tr td:nth-child(2)");
    let reasons = list.texts("#liste tbody tr td:nth-child(3) p + p");
    assert!(!products.is_empty() && products.len() == reasons.len());

    let dashboard = client.get("/").await;
    let xlsx = dashboard
        .links()
        .into_iter()
        .find(|(text, _)| text == "Exporter en XLSX (Excel)")
        .map(|(_, href)| href)
        .unwrap();
    let (_, cells) = client.get(&xlsx).await.xlsx_rows();
    let column = cells[0].iter().position(|h| h == "Indicateurs").unwrap();
    for ((product, indicator), reason) in products.iter().zip(&indicators).zip(&reasons) {
        let row = cells.iter().find(|r| &r[0] == product).unwrap();
        let words = &row[column];
        assert!(
            words.starts_with("En retard : ")
                && words.contains(&format!("{indicator} ({})", reason.trim_end_matches('.'))),
            "{product}: {words}"
        );
    }
    // The list's own spreadsheet holds the same lines.
    let (sheet, rows) = client
        .get("/portefeuille/indicateurs.xlsx?etat=en-retard")
        .await
        .xlsx_rows();
    assert_eq!(sheet, "Indicateurs");
    assert_eq!(rows.len(), products.len() + 1);
    assert_eq!(rows[0][0], "Produit");
}

/// The dashboard carries a validator: asking again gets `304` from the portfolio's change stamp
/// before any row is read; a change anywhere, another view or another viewer get the page.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_answers_not_modified_until_the_portfolio_changes(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let first = admin.get("/").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));
    common::count_writes(&db).await;
    let (again, queries) = count_queries(admin.revalidate("/", &etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert!(queries <= 2, "{queries} statements for a 304");
    assert_eq!(common::written(&db).await, 0, "a 304 writes nothing");

    // Another view of the portfolio, another viewer: the page.
    assert_eq!(
        admin.revalidate("/?q=aide", &etag).await.status,
        StatusCode::OK
    );
    let (mut reader, _) = app.signed_in(Role::Reader).await;
    assert_eq!(reader.revalidate("/", &etag).await.status, StatusCode::OK);

    // A product created: the page again, with it.
    common::create_product(&mut admin, &db, "Tout nouveau produit").await;
    let after = admin.revalidate("/", &etag).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.text("#portefeuille").contains("Tout nouveau produit"));
    assert_ne!(after.header("etag"), Some(etag.as_str()));

    // A direction renamed by the administration: no product row changed, yet every product of
    // that direction shows the new name, on the dashboard and on the sheet.
    let etag = admin.get("/").await.header("etag").unwrap().to_owned();
    let sheet = admin.get("/produits/aide-au-repit").await;
    let sheet_etag = sheet.header("etag").unwrap().to_owned();
    let directions = admin.get("/admin/directions").await;
    let renamed = admin
        .submit(
            &directions,
            "form[action$='/renommer']",
            &[("name", "Direction renommée")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let after = admin.revalidate("/", &etag).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.text("#portefeuille").contains("Direction renommée"));
    let sheet = admin
        .revalidate("/produits/aide-au-repit", &sheet_etag)
        .await;
    assert_eq!(
        sheet.status,
        StatusCode::OK,
        "the sheet names its direction"
    );
}

/// Two instances on one database: the one that showed the dashboard (and kept its rows in
/// memory) shows at once what the other one saved.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_instance_shows_at_once_what_another_instance_saved(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let (one, other) = (TestApp::new(db.clone()), TestApp::new(db.clone()));
    let (mut reader, _) = one.signed_in(Role::Reader).await;
    let (mut admin, _) = other.signed_in(Role::Admin).await;
    let before = reader.get("/?page=tout").await;
    assert!(before.text("#portefeuille").contains("Aide au Répit"));
    assert_eq!(reader.get("/?page=tout").await.body, before.body);
    // The sheet too, shown twice: its sections and then the whole page are kept in memory.
    for _ in 0..2 {
        assert!(
            reader
                .get("/produits/aide-au-repit")
                .await
                .text("h1")
                .contains("Aide au Répit")
        );
    }

    let form = admin.get("/produits/aide-au-repit/modifier").await;
    let renamed = [("name", "Répit des aidants")];
    let saved = admin.submit(&form, "main form", &renamed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    let after = reader.get("/?page=tout").await;
    assert!(after.text("#portefeuille").contains("Répit des aidants"));
    assert!(!after.text("#portefeuille").contains("Aide au Répit"));
    let sheet = reader.get("/produits/aide-au-repit").await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.text("h1").contains("Répit des aidants"));
}

/// A dashboard seen again, unchanged, is sent as rendered the first time after reading only the
/// session and the change stamp; the next change shows at once.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_dashboard_seen_again_is_sent_as_rendered_until_something_changes(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut reader, _) = app.signed_in(Role::Reader).await;
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let (first, _) = count_queries(reader.get("/?page=tout")).await;
    let (again, queries) = count_queries(reader.get("/?page=tout")).await;
    assert_eq!(again.body, first.body);
    assert_eq!(queries, 2, "the session and the change stamp");
    // Another view, or another viewer, is rendered on its own.
    let sorted = reader.get("/?page=tout&tri=phase").await;
    assert_ne!(sorted.body, first.body);
    let theirs = admin.get("/?page=tout").await;
    assert_ne!(theirs.body, first.body, "the header names who is signed in");

    let form = admin.get("/produits/aide-au-repit/modifier").await;
    let saved = admin
        .submit(&form, "main form", &[("name", "Répit des aidants")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let (after, queries) = count_queries(reader.get("/?page=tout")).await;
    assert!(after.text("#portefeuille").contains("Répit des aidants"));
    assert!(queries > 2, "rendered again: {queries} queries");
}

/// Two people, on two instances, add an indicator to the same product at the same moment: the
/// health stored after both counts both (each change computes its product's health once the
/// other has committed), as the health recomputed from scratch does.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_concurrent_changes_to_one_product_leave_a_health_that_counts_both(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let (one, other) = (TestApp::new(db.clone()), TestApp::new(db.clone()));
    let (mut first, _) = one.signed_in(Role::Admin).await;
    let (mut second, _) = other.signed_in(Role::Admin).await;
    let today = boussole::web::filters::today();
    let day = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let (baseline, target) = (day(-30), day(200));
    let count = || async {
        sqlx::query_scalar::<_, serde_json::Value>(
            "select h.health from product_health h join products p on p.id = h.product_id
             where p.slug = 'aide-au-repit'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let before = count().await;
    for round in 0..5 {
        let url = "/produits/aide-au-repit/indicateurs/nouveau";
        let (a, b) = (first.get(url).await, second.get(url).await);
        let names = (format!("Visites A{round}"), format!("Visites B{round}"));
        let (one_changes, other_changes) = (
            indicator_fields(&names.0, &baseline, &target),
            indicator_fields(&names.1, &baseline, &target),
        );
        let (saved_a, saved_b) = tokio::join!(
            first.submit(&a, "main form", &one_changes),
            second.submit(&b, "main form", &other_changes)
        );
        assert_eq!(
            saved_a.status,
            StatusCode::SEE_OTHER,
            "{}",
            saved_a.text("main")
        );
        assert_eq!(
            saved_b.status,
            StatusCode::SEE_OTHER,
            "{}",
            saved_b.text("main")
        );
    }
    assert_ne!(count().await, before);
    assert_health_is_fresh(&db, today, "after concurrent changes").await;
}

/// What the new indicator form is filled with, named `name`.
fn indicator_fields<'a>(
    name: &'a str,
    baseline: &'a str,
    target: &'a str,
) -> [(&'a str, &'a str); 10] {
    [
        ("name", name),
        ("kind", "impact"),
        ("unit", "visites"),
        ("direction", "hausse"),
        ("baseline_value", "10"),
        ("baseline_date", baseline),
        ("target_value", "20"),
        ("target_date", target),
        ("frequency", "mensuelle"),
        ("source", "matomo"),
    ]
}
