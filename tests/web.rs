//! What every page shares: error pages, security headers, static files, probes, public pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use boussole::{AppState, auth::model::Role, config::Config};
use common::{TestApp, config};
use sqlx::PgPool;

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn pages_carry_the_security_headers(db: PgPool) {
    let app = TestApp::new(db);
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let page = client.get("/").await;
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline'; img")
            && csp.contains("frame-ancestors 'none'")
    );
    assert!(
        !csp.split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap()
            .contains("unsafe-inline")
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    // The dashboard is revalidated (it has a validator); a page without one is never stored.
    assert_eq!(page.header("cache-control"), Some("private, no-cache"));
    assert_eq!(
        client.get("/produits").await.header("cache-control"),
        Some("no-store")
    );
    assert!(page.header("x-request-id").is_some_and(|id| id.len() == 36));
    assert_eq!(
        page.header("strict-transport-security"),
        None,
        "not over plain HTTP"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn with_secure_cookies_the_cookie_is_secure_and_hsts_is_sent(db: PgPool) {
    let mut config = config();
    config.secure_cookies = true;
    let state = AppState::new(db.clone(), config);
    let user = common::create_user(&db, Role::Reader, "Jean Leroy").await;
    let router = boussole::router(state);
    let mut client = TestApp {
        db: db.clone(),
        state: AppState::new(db, common::config()),
        router,
    }
    .client();
    let login = client.login(&user.email, common::PASSWORD).await;
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        login
            .header("strict-transport-security")
            .unwrap()
            .contains("max-age=")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn static_files_are_versioned_and_cached_for_long(db: PgPool) {
    let app = TestApp::new(db);
    let login = app.client().get("/login").await;
    let html = login.html();
    let href = html
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .map(|l| l.value().attr("href").unwrap().to_owned())
        .find(|h| h.ends_with("/css/app.css"))
        .unwrap();
    assert!(href.starts_with(&*app.state.assets) && app.state.assets.len() > "/static/".len());
    let css = app.client().get(&href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("cache-control").unwrap().contains("immutable"));
    assert!(css.body.contains(".bsl-inline-form"));
    let dsfr = app
        .client()
        .get(&format!("{}/dsfr/dsfr.min.css", app.state.assets))
        .await;
    assert_eq!(
        dsfr.status,
        StatusCode::OK,
        "the DSFR is installed by the asset build"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_unknown_page_gets_the_french_404_page(db: PgPool) {
    let app = TestApp::new(db);
    let (mut client, _) = app.signed_in(Role::Reader).await;
    for path in ["/nulle-part", "/static/0000/nothing.css"] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.text("h1"), "Page non trouvée");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.text("footer").contains("Accessibilité : non conforme"));
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_server_error_shows_a_french_page_with_the_request_id_and_no_internals(db: PgPool) {
    let app = TestApp::new(db);
    let (mut client, _) = app.signed_in(Role::Reader).await;
    // Break the database under the application: the dashboard's read fails.
    sqlx::query("drop table product_health cascade")
        .execute(&app.db)
        .await
        .unwrap();
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(page.text("h1"), "Erreur inattendue");
    let request_id = page.header("x-request-id").unwrap().to_owned();
    assert!(page.text("main code").contains(&request_id));
    for leak in [
        "relation",
        "users",
        "sqlx",
        "does not exist",
        "panicked",
        "src/",
    ] {
        assert!(!page.body.contains(leak), "the page leaks {leak:?}");
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_body_over_one_mebibyte_gets_the_413_page(db: PgPool) {
    let app = TestApp::new(db);
    let big = format!("email={}&password=x", "a".repeat(1024 * 1024 + 1));
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .unwrap();
    let page = app.client().send(request).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(page.text("h1"), "Envoi trop volumineux");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn probes_tell_whether_the_process_and_the_database_are_up(db: PgPool) {
    let app = TestApp::new(db);
    let health = app.client().get("/healthz").await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok")
    );
    let ready = app.client().get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn without_a_database_probes_and_pages_answer_503_quickly() {
    // Nothing listens on port 1: the pool cannot connect.
    let config = Config::local("postgres://postgres@127.0.0.1:1/boussole");
    let db = boussole::app::pool(&config).unwrap();
    let router = boussole::router(AppState::new(db.clone(), config.clone()));
    let app = TestApp {
        db: db.clone(),
        state: AppState::new(db, config),
        router,
    };

    assert_eq!(
        app.client().get("/healthz").await.status,
        StatusCode::OK,
        "the process is alive"
    );
    let ready = app.client().get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);

    let mut client = app.client();
    client.cookie = Some(format!(
        "boussole_session={}",
        tower_sessions::session::Id::default()
    ));
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.text("h1"), "Service momentanément indisponible");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_pages_every_state_service_has_are_public(db: PgPool) {
    let app = TestApp::new(db);
    let statement = app.client().get("/accessibilite").await;
    assert_eq!(statement.status, StatusCode::OK);
    assert!(statement.text("main").contains("Boussole est non conforme"));
    for (path, title) in [
        ("/mentions-legales", "Mentions légales"),
        ("/donnees-personnelles", "Données personnelles"),
    ] {
        let page = app.client().get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("h1"), title);
    }
    let login = app.client().get("/login").await;
    assert_eq!(login.html().root_element().value().attr("lang"), Some("fr"));
    assert!(
        login.text(".fr-header").contains("Boussole")
            && login
                .text(".fr-header")
                .contains("Pilotage des produits numériques")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn user_text_is_escaped(db: PgPool) {
    let app = TestApp::new(db);
    common::create_user(&app.db, Role::Reader, "<script>alert(1)</script>").await;
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let list = admin.get("/admin/utilisateurs").await;
    assert!(!list.body.contains("<script>alert(1)</script>"));
    // Shown as text, exactly as typed.
    assert!(list.text("tbody").contains("<script>alert(1)</script>"));
}

/// Every `fr-icon-*` class the templates use is defined by a stylesheet the layout links
/// (an icon whose stylesheet is missing renders as a filled square).
#[test]
fn every_icon_used_is_in_a_linked_stylesheet() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let base = std::fs::read_to_string("templates/base.html").unwrap();
    let mut css = String::new();
    for href in base
        .split("layout.asset(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.ends_with(".css") && href.starts_with("dsfr/"))
    {
        css.push_str(
            &std::fs::read_to_string(format!("static/{href}"))
                .unwrap_or_else(|_| panic!("static/{href} missing: run npm run build")),
        );
    }
    let mut sources = Vec::new();
    files(std::path::Path::new("templates"), &mut sources);
    files(std::path::Path::new("src"), &mut sources);
    let mut missing = Vec::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (index, _) in text.match_indices("fr-icon-") {
            let name: String = text[index..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name.ends_with('-') || name == "fr-icon-" {
                continue; // a prefix built in code, not a class
            }
            if !css.contains(&format!(".{name}")) {
                missing.push(format!("{name} ({})", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "icons without a stylesheet: {missing:?}"
    );
}

/// Browsers ask for compressed pages and get them; a client that does not ask gets plain HTML.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn pages_are_compressed_for_clients_that_ask(db: PgPool) {
    use std::io::Read;
    use tower::ServiceExt;
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let plain = client.get("/produits").await;
    assert_eq!(plain.header("content-encoding"), None);
    let request = Request::get("/produits")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::COOKIE, client.cookie.clone().unwrap())
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let compressed = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut html)
        .unwrap();
    assert_eq!(html.len(), plain.body.len());
    assert!(html.contains("<h1"), "the page itself");
    assert!(
        compressed.len() * 3 < html.len(),
        "{} bytes compressed from {}",
        compressed.len(),
        html.len()
    );
}
