//! The JSON API: keys created and revoked on the pages, every route through HTTP with keys of
//! each scope and of the wrong product, idempotent batches, problems for bad input, the rate
//! limit agreed between instances, and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use boussole::auth::model::Role;
use common::{Client, Page, TestApp, count_queries, field_value};
use serde_json::{Value, json};
use sqlx::PgPool;

const PRODUCT: &str = "aide-au-repit";
const OTHER: &str = "mon-suivi-handicap";

/// Creates a key on the page at `base` as the page renders its form, and reads it from the
/// page that follows.
async fn create_key(client: &mut Client, base: &str, label: &str, scope: Option<&str>) -> String {
    let page = client.get(base).await;
    assert_eq!(page.status, StatusCode::OK, "{base}");
    let mut changes = vec![("label", label)];
    if let Some(scope) = scope {
        changes.push(("scope", scope));
    }
    let created = client
        .submit(&page, "form[action$='cles-api']", &changes)
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{}",
        created.text("main")
    );
    let shown = client.get(created.location().unwrap()).await;
    let key = field_value(&shown, "cle").expect("the new key is shown once");
    assert!(key.starts_with("bsl_"), "{key}");
    assert!(shown.text("#cles").contains(label));
    // Shown once: the next view of the page no longer has it.
    assert!(field_value(&client.get(base).await, "cle").is_none());
    key
}

/// A request to the API with `key`, by a client without any cookie.
async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Page {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    app.client().send(request.unwrap()).await
}

fn json_of(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("{e}: {}", page.body))
}

/// Asserts a problem (RFC 9457) with this status and returns it.
fn problem(page: &Page, status: StatusCode) -> Value {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("application/problem+json")
    );
    let problem = json_of(page);
    assert_eq!(problem["status"], status.as_u16());
    assert!(!problem["title"].as_str().unwrap().is_empty());
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    problem
}

async fn first_indicator(app: &TestApp, key: &str, slug: &str) -> (String, Value) {
    let page = api(
        app,
        "GET",
        &format!("/api/v1/produits/{slug}/indicateurs"),
        Some(key),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let indicator = json_of(&page)["indicators"][0].clone();
    (indicator["id"].as_str().unwrap().to_owned(), indicator)
}

fn day(days_ago: i64) -> String {
    (boussole::web::filters::today() - chrono::Duration::days(days_ago)).to_string()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_product_key_reads_its_product_and_pushes_measurements_idempotently(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let base = format!("/produits/{PRODUCT}/cles-api");
    let key = create_key(&mut admin, &base, "Matomo → visites", Some("mesures")).await;

    // Only its product, with the dashboard's health.
    let list = api(&app, "GET", "/api/v1/produits", Some(&key), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = json_of(&list)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["slug"], PRODUCT);
    assert!(items[0]["health"]["vision_score"].is_number());
    let product = api(
        &app,
        "GET",
        &format!("/api/v1/produits/{PRODUCT}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(json_of(&product)["name"], "Aide au Répit");
    assert!(json_of(&product)["vision"]["statement"].is_string());

    // The vision's versions, as its history page lists them.
    let versions = api(
        &app,
        "GET",
        &format!("/api/v1/produits/{PRODUCT}/vision/versions"),
        Some(&key),
        None,
    )
    .await;
    let versions = json_of(&versions)["versions"].as_array().unwrap().clone();
    let saved: i64 = sqlx::query_scalar(
        "select count(*) from vision_versions v join products p on p.id = v.product_id where p.slug = $1",
    )
    .bind(PRODUCT)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(versions.len() as i64, saved);
    assert!(saved > 0, "the demo vision has versions");
    assert_eq!(
        versions[0]["statement"],
        json_of(&product)["vision"]["statement"]
    );

    let (id, indicator) = first_indicator(&app, &key, PRODUCT).await;
    let before = indicator["measurements"].as_array().unwrap().len();
    let url = format!("/api/v1/indicateurs/{id}/mesures");
    let batch = json!({"measurements": [
        {"date": day(3), "value": 1234.5, "comment": "Matomo"},
        {"date": day(2), "value": 1300}
    ]});
    let sent = api(&app, "POST", &url, Some(&key), Some(batch.clone())).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(
        json_of(&sent),
        json!({"added": 2, "replaced": 0, "unchanged": 0})
    );
    let history = |admin: &mut Client| {
        let url = format!("/produits/{PRODUCT}/historique");
        let mut admin = admin.clone();
        async move { admin.get(&url).await.texts(".bsl-history li strong") }
    };
    let events = history(&mut admin).await.len();

    // The same call again changes nothing, not even the history.
    let again = api(&app, "POST", &url, Some(&key), Some(batch)).await;
    assert_eq!(
        json_of(&again),
        json!({"added": 0, "replaced": 0, "unchanged": 2})
    );
    assert_eq!(history(&mut admin).await.len(), events);

    // Another value for a known date replaces it, named in the history as the key's change.
    let corrected = json!({"measurements": [{"date": day(2), "value": 1310}]});
    let replaced = api(&app, "POST", &url, Some(&key), Some(corrected)).await;
    assert_eq!(
        json_of(&replaced),
        json!({"added": 0, "replaced": 1, "unchanged": 0})
    );
    let latest = history(&mut admin).await;
    assert!(
        latest[0].contains("Clé d’API « Matomo → visites »") && latest[0].contains("par l’API"),
        "{latest:?}"
    );
    // A batch out of date order: each date keeps its own value, in the answer and the history.
    let unsorted = json!({"measurements": [
        {"date": day(6), "value": 66, "comment": "six"},
        {"date": day(7), "value": 77, "comment": "sept"}
    ]});
    let sent = api(&app, "POST", &url, Some(&key), Some(unsorted)).await;
    assert_eq!(json_of(&sent)["added"], 2);
    let changes: Value = sqlx::query_scalar(
        "select changes from audit_events where action = 'measurements-api' order by id desc limit 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    for (days, after) in [(6, "66 (six)"), (7, "77 (sept)")] {
        let date = boussole::web::filters::date_short(
            boussole::web::filters::today() - chrono::Duration::days(days),
        );
        let change = changes
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"].as_str().unwrap().ends_with(&date))
            .unwrap();
        assert!(
            change["after"].as_str().unwrap().starts_with(&after[..2]),
            "{change}"
        );
        assert!(
            change["after"].as_str().unwrap().ends_with(&after[2..]),
            "{change}"
        );
    }
    let (_, read_back) = first_indicator(&app, &key, PRODUCT).await;
    let measurements = read_back["measurements"].as_array().unwrap();
    assert_eq!(measurements.len(), before + 4);
    assert!(
        measurements
            .iter()
            .any(|m| m["date"] == day(2) && m["value"] == 1310.0)
    );
    // The indicator's page shows what was pushed, and the key's last use is listed.
    let page = admin
        .get(&format!("/produits/{PRODUCT}/indicateurs/{id}"))
        .await;
    assert!(
        page.body.contains("1\u{202f}310"),
        "the pushed value on the indicator’s page"
    );
    let keys = admin.get(&base).await.texts("#cles tbody tr");
    let ours = keys
        .iter()
        .find(|r| r.contains("Matomo → visites"))
        .unwrap();
    assert!(!ours.contains("Jamais utilisée"), "{ours}");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn keys_read_only_what_their_scope_and_product_allow(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let reader = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Lecture",
        Some("lecture"),
    )
    .await;
    let writer = create_key(
        &mut admin,
        &format!("/produits/{OTHER}/cles-api"),
        "Autre produit",
        Some("mesures"),
    )
    .await;
    let portfolio = create_key(&mut admin, "/admin/cles-api", "Tableau de bord DNUM", None).await;

    let (id, _) = first_indicator(&app, &reader, PRODUCT).await;
    let url = format!("/api/v1/indicateurs/{id}/mesures");
    let batch = json!({"measurements": [{"date": day(1), "value": 1}]});
    // A read-only key cannot push; nor can a portfolio key.
    let refused = api(&app, "POST", &url, Some(&reader), Some(batch.clone())).await;
    assert!(
        problem(&refused, StatusCode::FORBIDDEN)["detail"]
            .as_str()
            .unwrap()
            .contains("lecture seule")
    );
    problem(
        &api(&app, "POST", &url, Some(&portfolio), Some(batch.clone())).await,
        StatusCode::FORBIDDEN,
    );
    // Another product's key neither sees nor writes this product.
    problem(
        &api(&app, "POST", &url, Some(&writer), Some(batch)).await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &api(
            &app,
            "GET",
            &format!("/api/v1/produits/{PRODUCT}"),
            Some(&writer),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &api(
            &app,
            "GET",
            &format!("/api/v1/produits/{PRODUCT}/indicateurs"),
            Some(&writer),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );

    // The portfolio key reads every active product, and the late indicators.
    let all = json_of(
        &api(
            &app,
            "GET",
            "/api/v1/produits?limit=500",
            Some(&portfolio),
            None,
        )
        .await,
    );
    let active: i64 = sqlx::query_scalar("select count(*) from products where archived_at is null")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len() as i64, active);
    let late = api(
        &app,
        "GET",
        "/api/v1/portefeuille/indicateurs-en-retard",
        Some(&portfolio),
        None,
    )
    .await;
    let late = json_of(&late)["items"].as_array().unwrap().clone();
    let late_count: i64 = sqlx::query_scalar(
        "select coalesce(sum((h.health->'indicators'->>'late')::int), 0)::bigint from product_health h
         join products p on p.id = h.product_id where p.archived_at is null",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        late.len() as i64,
        late_count,
        "as many as the dashboard's tile counts"
    );
    assert!(late.iter().all(|l| l["indicator"]["status"] == "en-retard"));
    // The risks list names as many as the dashboard's list of risks.
    let risks = json_of(
        &api(
            &app,
            "GET",
            "/api/v1/portefeuille/risques",
            Some(&portfolio),
            None,
        )
        .await,
    );
    let page = admin.get("/portefeuille/risques").await;
    let shown: usize = page
        .text("#total")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(risks["items"].as_array().unwrap().len(), shown);
    assert!(shown > 0, "the demo has risks");
    // The product key reads the late indicators of its product only.
    let own = json_of(
        &api(
            &app,
            "GET",
            "/api/v1/portefeuille/indicateurs-en-retard",
            Some(&reader),
            None,
        )
        .await,
    );
    assert!(
        own["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["product"] == PRODUCT)
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn missing_unknown_revoked_and_expired_keys_get_the_same_401(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let base = format!("/produits/{PRODUCT}/cles-api");
    let key = create_key(&mut admin, &base, "Pipeline", Some("mesures")).await;
    let expired = create_key(&mut admin, &base, "Ancienne", Some("lecture")).await;
    sqlx::query(
        "update api_keys set expires_at = now() - interval '1 second' where label = 'Ancienne'",
    )
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(
        api(&app, "GET", "/api/v1/produits", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );

    // Revoked through the page, after a confirmation.
    let keys = admin.get(&base).await;
    let revoke = keys.attrs("a[title='Révoquer la clé Pipeline']", "href")[0].clone();
    let confirm = admin.get(&revoke).await;
    assert!(
        confirm
            .text("main")
            .contains("cessera immédiatement de fonctionner")
    );
    let done = admin.submit(&confirm, "main form", &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    // A second click on the same confirmation changes and records nothing more.
    assert_eq!(
        admin.submit(&confirm, "main form", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let revocations: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'api-key-revoke'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(revocations, 1);
    let rows = admin.get(&base).await.texts("#cles tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("Pipeline") && r.contains("Révoquée")),
        "{rows:?}"
    );

    let answers = [
        api(&app, "GET", "/api/v1/produits", None, None).await,
        api(&app, "GET", "/api/v1/produits", Some("bsl_0000"), None).await,
        api(&app, "GET", "/api/v1/produits", Some(&key), None).await,
        api(&app, "GET", "/api/v1/produits", Some(&expired), None).await,
    ];
    for answer in &answers {
        problem(answer, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body, answers[0].body, "the same answer for each");
    }
    // A key stops working when its creator loses the right to do what it does.
    let portfolio = create_key(&mut admin, "/admin/cles-api", "Direction", None).await;
    assert_eq!(
        api(&app, "GET", "/api/v1/produits", Some(&portfolio), None)
            .await
            .status,
        StatusCode::OK
    );
    // Keys on the whole portfolio are in the audit trail too, under no product.
    let other = create_key(&mut admin, "/admin/cles-api", "Éphémère", None).await;
    let keys = admin.get("/admin/cles-api").await;
    let revoke = keys.attrs("a[title='Révoquer la clé Éphémère']", "href")[0].clone();
    let confirm = admin.get(&revoke).await;
    admin.submit(&confirm, "main form", &[]).await;
    problem(
        &api(&app, "GET", "/api/v1/produits", Some(&other), None).await,
        StatusCode::UNAUTHORIZED,
    );
    let recorded: Vec<(String, String)> = sqlx::query_as(
        "select action, changes::text from audit_events
         where entity = 'api_key' and product_id is null order by id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let actions: Vec<_> = recorded.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["api-key-create", "api-key-create", "api-key-revoke"],
        "{recorded:?}"
    );
    assert!(recorded[2].1.contains("Éphémère"), "{recorded:?}");
    sqlx::query("update users set role = 'reader' where id = (select created_by from api_keys where label = 'Direction')")
        .execute(&db)
        .await
        .unwrap();
    let demoted = api(&app, "GET", "/api/v1/produits", Some(&portfolio), None).await;
    problem(&demoted, StatusCode::UNAUTHORIZED);
    assert_eq!(demoted.body, answers[0].body);
    // A signed-in session does not open the API, and a key does not open the pages.
    problem(
        &admin.get("/api/v1/produits").await,
        StatusCode::UNAUTHORIZED,
    );
    let mut request =
        Request::get("/produits").header(header::AUTHORIZATION, format!("Bearer {key}"));
    let page = app
        .client()
        .send(request.body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().unwrap().starts_with("/login"));
    request = Request::get("/api/v1/nulle-part");
    problem(
        &app.client()
            .send(request.body(Body::empty()).unwrap())
            .await,
        StatusCode::NOT_FOUND,
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn bad_bodies_get_a_problem_naming_the_field(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Tests",
        Some("mesures"),
    )
    .await;
    let (id, _) = first_indicator(&app, &key, PRODUCT).await;
    let url = format!("/api/v1/indicateurs/{id}/mesures");
    let send = |body: &str, content_type: &str| {
        Request::post(url.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let mut client = app.client();
    problem(
        &client
            .send(send("date=2026-01-01", "application/x-www-form-urlencoded"))
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    problem(
        &client
            .send(send("{\"measurements\": [", "application/json"))
            .await,
        StatusCode::BAD_REQUEST,
    );
    let huge = format!(
        "{{\"measurements\": [], \"x\": \"{}\"}}",
        "a".repeat(1_100_000)
    );
    problem(
        &client.send(send(&huge, "application/json")).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    );

    let pointer_of = |page: &Page| -> Vec<String> {
        problem(page, StatusCode::UNPROCESSABLE_ENTITY)["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"measurements": [{"date": day(1), "value": "beaucoup"}]}),
            "/measurements/0/value",
        ),
        (
            json!({"measurements": [{"date": "0000-01-01", "value": 1}]}),
            "/measurements/0/date",
        ),
        (
            json!({"measurements": [{"date": "31/12/2025", "value": 1}]}),
            "/measurements/0/date",
        ),
        (
            json!({"measurements": [{"date": day(-10), "value": 1}]}),
            "/measurements/0/date",
        ),
        (
            json!({"measurements": [{"date": day(1), "value": 1e300}]}),
            "/measurements/0/value",
        ),
        (
            json!({"measurements": [{"date": day(1), "value": 1, "comment": "a\u{0}b"}]}),
            "/measurements/0/comment",
        ),
        (
            json!({"measurements": [{"date": day(1), "value": 1, "comment": "x".repeat(100_000)}]}),
            "/measurements/0/comment",
        ),
        (
            json!({"measurements": [{"date": day(1), "value": 1}, {"date": day(1), "value": 2}]}),
            "/measurements/1/date",
        ),
        (json!({"measurements": []}), "/measurements"),
        (json!({"mesures": []}), ""),
    ];
    for (body, pointer) in cases {
        let answer = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
        let pointers = pointer_of(&answer);
        assert!(
            pointers.iter().any(|p| p == pointer) || (pointer.is_empty() && !pointers.is_empty()),
            "{body:.80}: {pointers:?}"
        );
    }
    // Every measurement that does not read is named, not only the first; a bare list is told
    // the shape of the body.
    let answer = api(
        &app,
        "POST",
        &url,
        Some(&key),
        Some(json!({"measurements": [
            {"date": "hier", "value": 1},
            {"date": day(1), "value": 2},
            {"date": day(2), "value": "x"},
            {"value": 3}
        ]})),
    )
    .await;
    assert_eq!(
        pointer_of(&answer),
        [
            "/measurements/0/date",
            "/measurements/2/value",
            "/measurements/3"
        ]
    );
    let bare = api(
        &app,
        "POST",
        &url,
        Some(&key),
        Some(json!([{"date": day(1), "value": 1}])),
    )
    .await;
    assert_eq!(pointer_of(&bare), [""]);
    let too_many: Vec<Value> = (0..1001)
        .map(|n| json!({"date": day(n + 1), "value": n}))
        .collect();
    let answer = api(
        &app,
        "POST",
        &url,
        Some(&key),
        Some(json!({"measurements": too_many})),
    )
    .await;
    assert_eq!(pointer_of(&answer), ["/measurements"]);
    // Nothing of a refused batch is stored.
    let stored: i64 = sqlx::query_scalar("select count(*) from measurements where indicator_id = $1::uuid and measured_on >= current_date - 1")
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    problem(
        &api(
            &app,
            "POST",
            "/api/v1/indicateurs/pas-un-id/mesures",
            Some(&key),
            Some(json!({"measurements": []})),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_product_list_pages_by_cursor_with_link_headers_and_constant_queries(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(&mut admin, "/admin/cles-api", "Pagination", None).await;
    let mut url = "/api/v1/produits?limit=7&archives=tous".to_owned();
    let mut seen = Vec::new();
    loop {
        let (page, queries) = count_queries(api(&app, "GET", &url, Some(&key), None)).await;
        assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.body);
        assert!(queries <= 6, "{queries} statements for a page of products");
        let body = json_of(&page);
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["slug"].as_str().unwrap().to_owned()));
        match page.header("link") {
            Some(link) => {
                assert!(link.ends_with("rel=\"next\""), "{link}");
                assert!(link.contains("archives=tous") && link.contains("limit=7"));
                url = link
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned();
                assert_eq!(body["next"].as_str(), seen.last().map(String::as_str));
            }
            None => {
                assert!(body["next"].is_null());
                break;
            }
        }
    }
    let all: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(seen.len() as i64, all, "every product once");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "in slug order, without repeats");
    // The dashboard's filters: archived products only.
    let archived = json_of(
        &api(
            &app,
            "GET",
            "/api/v1/produits?archives=archives",
            Some(&key),
            None,
        )
        .await,
    );
    let count: i64 =
        sqlx::query_scalar("select count(*) from products where archived_at is not null")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(archived["items"].as_array().unwrap().len() as i64, count);
    for bad in ["0", "501", "NaN", "-1"] {
        problem(
            &api(
                &app,
                "GET",
                &format!("/api/v1/produits?limit={bad}"),
                Some(&key),
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
        );
    }
    let (_, queries) = count_queries(api(
        &app,
        "GET",
        &format!("/api/v1/produits/{PRODUCT}/indicateurs"),
        Some(&key),
        None,
    ))
    .await;
    assert!(
        queries <= 6,
        "{queries} statements for a product's indicators"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_rate_limit_is_counted_across_instances(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let limited = |db: PgPool| {
        let mut config = common::config();
        config.api_rate_limit = 5;
        let state = boussole::AppState::new(db.clone(), config);
        TestApp {
            router: boussole::router(state.clone()),
            db,
            state,
        }
    };
    let (one, other) = (limited(db.clone()), limited(db.clone()));
    let (mut admin, _) = one.signed_in(Role::Admin).await;
    let key = create_key(&mut admin, "/admin/cles-api", "Limité", None).await;
    // Three on each instance, in parallel on the second: the sixth is refused.
    for _ in 0..3 {
        assert_eq!(
            api(&one, "GET", "/api/v1/produits", Some(&key), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    let answers = futures_join(&other, &key).await;
    let refused: Vec<&Page> = answers
        .iter()
        .filter(|p| p.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "{:?}",
        answers.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    problem(refused[0], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused[0].header("retry-after"), Some("60"));
}

async fn futures_join(app: &TestApp, key: &str) -> Vec<Page> {
    let (a, b, c) = tokio::join!(
        api(app, "GET", "/api/v1/produits", Some(key), None),
        api(app, "GET", "/api/v1/produits", Some(key), None),
        api(app, "GET", "/api/v1/produits", Some(key), None)
    );
    vec![a, b, c]
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_key_form_keeps_the_input_and_names_each_error(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let base = format!("/produits/{OTHER}/cles-api");
    let page = admin.get(&base).await;
    assert!(page.text("main").contains("Aucune clé"));
    let refused = admin
        .submit(
            &page,
            "form[action$='cles-api']",
            &[("label", ""), ("expires", "31/12/0000")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#label-erreur")
            .contains("Saisissez un libellé")
    );
    assert!(
        refused
            .text("#scope-erreur")
            .contains("Choisissez les droits")
    );
    assert!(refused.text("#expires-erreur").contains("1900 et 2200"));
    assert_eq!(
        field_value(&refused, "expires").as_deref(),
        Some("31/12/0000")
    );
    let far = admin
        .submit(
            &page,
            "form[action$='cles-api']",
            &[
                ("label", "<b>Loin</b>"),
                ("scope", "lecture"),
                ("expires", "01/01/2100"),
            ],
        )
        .await;
    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(far.text("#expires-erreur").contains("au plus tard"));
    assert_eq!(field_value(&far, "label").as_deref(), Some("<b>Loin</b>"));
    assert!(!far.body.contains("<b>Loin</b>"), "markup is escaped");
    // Readers neither see nor create keys.
    let (mut reader, _) = app.signed_in(Role::Reader).await;
    assert_eq!(reader.get(&base).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reader.get("/admin/cles-api").await.status,
        StatusCode::FORBIDDEN
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_openapi_document_describes_every_route_and_the_docs_page_lists_them(db: PgPool) {
    let app = TestApp::new(db);
    let page = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = json_of(&page);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/produits",
        "/produits/{slug}",
        "/produits/{slug}/indicateurs",
        "/portefeuille/indicateurs-en-retard",
        "/indicateurs/{id}/mesures",
        "/produits/{slug}/roadmaps",
        "/produits/{slug}/raci",
        "/indicateurs/{id}",
        "/produits/{slug}/vision/versions",
        "/portefeuille/risques",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    assert!(doc["components"]["securitySchemes"]["cle"].is_object());
    let docs = app.client().get("/api/v1/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text("h1").contains("Documentation de l’API"));
    assert_eq!(docs.texts("main section h2").len(), 12);
}

/// The same batch sent twice at the same moment, to two instances: stored once, recorded once,
/// and the stored health is the one recomputed from scratch.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_same_batch_sent_twice_at_once_is_stored_and_recorded_once(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let (one, other) = (TestApp::new(db.clone()), TestApp::new(db.clone()));
    let (mut admin, _) = one.signed_in(Role::Admin).await;
    let key = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Concurrence",
        Some("mesures"),
    )
    .await;
    let (id, _) = first_indicator(&one, &key, PRODUCT).await;
    let url = format!("/api/v1/indicateurs/{id}/mesures");
    let batch =
        json!({"measurements": [{"date": day(4), "value": 7}, {"date": day(5), "value": 8}]});
    let events = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from audit_events where action = 'measurements-api'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let (a, b) = tokio::join!(
        api(&one, "POST", &url, Some(&key), Some(batch.clone())),
        api(&other, "POST", &url, Some(&key), Some(batch.clone()))
    );
    let (a, b) = (json_of(&a), json_of(&b));
    assert_eq!(
        a["added"].as_u64().unwrap() + b["added"].as_u64().unwrap(),
        2,
        "{a} {b}"
    );
    assert_eq!(
        a["unchanged"].as_u64().unwrap() + b["unchanged"].as_u64().unwrap(),
        2,
        "{a} {b}"
    );
    assert_eq!(events().await, 1, "one change, recorded once");
    let stored: i64 = sqlx::query_scalar("select count(*) from measurements where indicator_id = $1::uuid and measured_on in (current_date - 4, current_date - 5)")
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 2);
    // The dashboard's stored health counts the new measurements as a recomputation would.
    let mut conn = db.acquire().await.unwrap();
    let fresh =
        boussole::portfolio::health::compute(&mut conn, None, boussole::web::filters::today())
            .await
            .unwrap();
    let row = fresh.iter().find(|r| &*r.slug == PRODUCT).unwrap();
    let stored: serde_json::Value = sqlx::query_scalar(
        "select h.health from product_health h join products p on p.id = h.product_id where p.slug = $1",
    )
    .bind(PRODUCT)
    .fetch_one(&db)
    .await
    .unwrap();
    let stored: boussole::portfolio::health::Health = serde_json::from_value(stored).unwrap();
    assert_eq!(stored, boussole::portfolio::health::Health::of(row));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn roadmaps_and_raci_read_what_the_pages_show(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Roadmaps",
        Some("lecture"),
    )
    .await;
    let (roadmaps, queries) = count_queries(api(
        &app,
        "GET",
        &format!("/api/v1/produits/{PRODUCT}/roadmaps"),
        Some(&key),
        None,
    ))
    .await;
    assert_eq!(roadmaps.status, StatusCode::OK, "{}", roadmaps.body);
    assert!(queries <= 6, "{queries} statements");
    let roadmaps = json_of(&roadmaps)["roadmaps"].as_array().unwrap().clone();
    let initiatives: i64 = sqlx::query_scalar(
        "select count(*) from initiatives i join roadmaps r on r.id = i.roadmap_id join products p on p.id = r.product_id where p.slug = $1",
    )
    .bind(PRODUCT)
    .fetch_one(&db)
    .await
    .unwrap();
    let sent: usize = roadmaps
        .iter()
        .map(|r| r["initiatives"].as_array().unwrap().len())
        .sum();
    assert_eq!(sent as i64, initiatives);
    // The page shows the current roadmap's first initiative too.
    let current = roadmaps
        .iter()
        .find(|r| r["standing"] == "en-cours")
        .unwrap();
    let title = current["initiatives"][0]["title"].as_str().unwrap();
    let page = admin
        .get(&format!(
            "/produits/{PRODUCT}/roadmaps/{}",
            current["id"].as_str().unwrap()
        ))
        .await;
    assert!(page.text("main").contains(title), "{title}");

    let raci = json_of(
        &api(
            &app,
            "GET",
            &format!("/api/v1/produits/{PRODUCT}/raci"),
            Some(&key),
            None,
        )
        .await,
    );
    let people = raci["people"].as_array().unwrap();
    let page = admin.get(&format!("/produits/{PRODUCT}/roles")).await;
    for person in people {
        assert!(page.text("main").contains(person["name"].as_str().unwrap()));
        assert!(
            person.get("email").is_none(),
            "e-mail addresses stay on the pages"
        );
    }
    let letters: usize = raci["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["letters"].as_array().unwrap().len())
        .sum();
    let cells: i64 = sqlx::query_scalar(
        "select count(*) from raci_cells c join raci_activities a on a.id = c.activity_id join products p on p.id = a.product_id where p.slug = $1",
    )
    .bind(PRODUCT)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(letters as i64, cells);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn indicators_are_created_and_updated_with_the_form_rules_and_if_match(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Définitions",
        Some("mesures"),
    )
    .await;
    let reader = create_key(
        &mut admin,
        &format!("/produits/{PRODUCT}/cles-api"),
        "Lecteur",
        Some("lecture"),
    )
    .await;
    let url = format!("/api/v1/produits/{PRODUCT}/indicateurs");
    let mut body = json!({
        "name": "Visites mensuelles",
        "kind": "succes",
        "unit": "visites",
        "trend": "hausse",
        "baseline": {"date": day(60), "value": 1000},
        "targets": [{"date": day(-300), "value": 2000}],
        "frequency": "mensuelle",
        "source": "matomo"
    });
    problem(
        &api(&app, "POST", &url, Some(&reader), Some(body.clone())).await,
        StatusCode::FORBIDDEN,
    );
    let created = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let etag = created.header("etag").unwrap().to_owned();
    let location = created.header("location").unwrap().to_owned();
    let id = json_of(&created)["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/indicateurs/{id}"));
    // The form's rules: the same name twice, a target below the baseline of a rising indicator.
    let again = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
    assert_eq!(
        problem(&again, StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["pointer"],
        "/name"
    );
    body["name"] = json!("Visites\u{0}nulles");
    let refused = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
    assert_eq!(
        problem(&refused, StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["pointer"],
        "/name"
    );
    body["name"] = json!("Autre");
    body["targets"] = json!([{"date": day(-300), "value": 500}]);
    body["kind"] = json!("inconnu");
    let refused = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
    assert_eq!(
        problem(&refused, StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["pointer"],
        "/kind"
    );
    body["kind"] = json!("succes");
    let refused = api(&app, "POST", &url, Some(&key), Some(body.clone())).await;
    assert_eq!(
        problem(&refused, StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["pointer"],
        "/targets"
    );
    // It shows on the product's page, created by the key.
    let page = admin.get(&format!("/produits/{PRODUCT}/indicateurs")).await;
    assert!(page.text("main").contains("Visites mensuelles"));

    // Updates need the version read.
    let item = format!("/api/v1/indicateurs/{id}");
    let read = api(&app, "GET", &item, Some(&key), None).await;
    assert_eq!(read.header("etag"), Some(etag.as_str()));
    let mut update = json!({
        "name": "Visites mensuelles du site",
        "kind": "succes",
        "unit": "visites",
        "trend": "hausse",
        "baseline": {"date": day(60), "value": 1000},
        "targets": [{"date": day(-300), "value": 2500}],
        "frequency": "mensuelle",
        "source": "matomo"
    });
    let put = |if_match: Option<String>, body: Value| {
        let mut request = Request::put(item.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(tag) = if_match {
            request = request.header(header::IF_MATCH, tag);
        }
        request.body(Body::from(body.to_string())).unwrap()
    };
    let mut client = app.client();
    problem(
        &client.send(put(None, update.clone())).await,
        StatusCode::PRECONDITION_REQUIRED,
    );
    let saved = client.send(put(Some(etag.clone()), update.clone())).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(json_of(&saved)["name"], "Visites mensuelles du site");
    let newer = saved.header("etag").unwrap().to_owned();
    assert_ne!(newer, etag);
    // The version read before is no longer the current one: refused, nothing overwritten.
    update["name"] = json!("Écrasement");
    problem(
        &client.send(put(Some(etag), update.clone())).await,
        StatusCode::PRECONDITION_FAILED,
    );
    let now = json_of(&api(&app, "GET", &item, Some(&key), None).await);
    assert_eq!(now["name"], "Visites mensuelles du site");
    let history = admin.get(&format!("/produits/{PRODUCT}/historique")).await;
    let first = history.texts(".bsl-history li strong")[0].clone();
    assert!(
        first.contains("Clé d’API « Définitions »") && first.contains("a modifié l’indicateur"),
        "{first}"
    );
}

/// Every read runs as many statements for the 1,000 products of the benchmark as for the demo's
/// 30, and at most 6.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn reads_run_as_many_statements_for_1000_products_as_for_30(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(&mut admin, "/admin/cles-api", "Mesure", None).await;
    let (id, _) = first_indicator(&app, &key, PRODUCT).await;
    let paths = [
        "/api/v1/produits?limit=500".to_owned(),
        format!("/api/v1/produits/{PRODUCT}"),
        format!("/api/v1/produits/{PRODUCT}/vision/versions"),
        format!("/api/v1/produits/{PRODUCT}/indicateurs"),
        format!("/api/v1/produits/{PRODUCT}/roadmaps"),
        format!("/api/v1/produits/{PRODUCT}/raci"),
        format!("/api/v1/indicateurs/{id}"),
        "/api/v1/portefeuille/indicateurs-en-retard".to_owned(),
        "/api/v1/portefeuille/risques".to_owned(),
    ];
    let small = statements(&app, &key, &paths).await;
    let added = boussole::demo::grow(&db, 1000).await.unwrap();
    assert!(added > 900, "{added} products added");
    let large = statements(&app, &key, &paths).await;
    assert_eq!(
        small, large,
        "statements per read at 30 and at 1,000 products"
    );
}

/// The statements each read runs, measured once the portfolio's rows are kept (the first read
/// after a change reads them again, as every read but the first does not).
async fn statements(app: &TestApp, key: &str, paths: &[String]) -> Vec<usize> {
    let mut counts = Vec::new();
    for path in paths {
        api(app, "GET", path, Some(key), None).await;
        let (page, queries) = count_queries(api(app, "GET", path, Some(key), None)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(queries <= 6, "{path}: {queries} statements");
        counts.push(queries);
    }
    counts
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_leadership_lists_are_the_dashboards_filters_and_a_wrong_one_is_said(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let key = create_key(&mut admin, "/admin/cles-api", "Direction", None).await;
    let all = json_of(&api(&app, "GET", "/api/v1/produits?limit=500", Some(&key), None).await);
    let total = all["items"].as_array().unwrap().len();
    for filter in ["roadmap=sans", "vision=a-revoir", "raci=non-valide"] {
        let page = api(
            &app,
            "GET",
            &format!("/api/v1/produits?limit=500&{filter}"),
            Some(&key),
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{filter}");
        let some = json_of(&page)["items"].as_array().unwrap().len();
        assert!(some > 0 && some < total, "{filter}: {some} of {total}");
    }
    let wrong = api(
        &app,
        "GET",
        "/api/v1/produits?roadmap=sans-en-cours",
        Some(&key),
        None,
    )
    .await;
    let detail = problem(&wrong, StatusCode::BAD_REQUEST)["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("sans, fin-30-jours"), "{detail}");
}
