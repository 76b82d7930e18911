//! What an outside review of the running application found, kept fixed: sessions that stay
//! dead, throttling that holds under concurrency, control characters and impossible dates,
//! CSV cells that spreadsheets would run, 429/415/403 answers with the right headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use boussole::{AppState, auth::model::Role};
use chrono::Datelike;
use common::{
    PASSWORD, TestApp, TestServer, count_writes, create_product, create_user, field_value, written,
};
use sqlx::PgPool;

fn cookie_pair(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("boussole_session=") && !v.contains("Max-Age=0"))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

async fn login(server: &TestServer, email: &str) -> (reqwest::Client, String) {
    let client = server.client();
    let response = client
        .post(server.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pair(&response).expect("a session cookie");
    (client, cookie)
}

/// Polls `/` with a copy of `cookie` on four tasks until `stop` is set, like other tabs of the
/// same browser; returns how many answers were pages (200).
fn poll_with(
    server: &TestServer,
    cookie: &str,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<usize>> {
    (0..4)
        .map(|_| {
            let url = server.url("/");
            let cookie = cookie.to_owned();
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let mut pages = 0;
                while !stop.load(Ordering::Relaxed) {
                    let response = client
                        .get(&url)
                        .header("cookie", &cookie)
                        .send()
                        .await
                        .unwrap();
                    if response.status() == StatusCode::OK {
                        pages += 1;
                    }
                }
                pages
            })
        })
        .collect()
}

async fn is_dead(server: &TestServer, cookie: &str) -> bool {
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    replay.status() == StatusCode::SEE_OTHER
        && replay.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_logged_out_session_stays_dead_while_its_other_requests_finish(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let user = create_user(&db, Role::Reader, "Jean Leroy").await;
    for round in 0..5 {
        let (client, cookie) = login(&server, &user.email).await;
        let stop = Arc::new(AtomicBool::new(false));
        let pollers = poll_with(&server, &cookie, Arc::clone(&stop));
        // Let the pollers get going, then log out in the middle of their requests.
        while sqlx::query_scalar::<_, i64>("select count(*) from sessions where user_id = $1")
            .bind(user.id)
            .fetch_one(&db)
            .await
            .unwrap()
            == 0
        {
            tokio::task::yield_now().await;
        }
        let logout = client.post(server.url("/logout")).send().await.unwrap();
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        // The "vous êtes déconnecté" message lives in a new session, not the old one.
        let after = cookie_pair(&logout).expect("a new session for the message");
        assert_ne!(
            after, cookie,
            "round {round}: logout re-used the session id"
        );
        stop.store(true, Ordering::Relaxed);
        for poller in pollers {
            poller.await.unwrap();
        }
        assert!(
            is_dead(&server, &cookie).await,
            "round {round}: the session came back to life"
        );
        let left: i64 = sqlx::query_scalar("select count(*) from sessions where user_id = $1")
            .bind(user.id)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(left, 0, "round {round}");
    }
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_password_change_ends_other_sessions_even_with_requests_in_flight(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let user = create_user(&db, Role::Editor, "Marie Dupont").await;
    let mut password = PASSWORD.to_owned();
    for round in 0..3 {
        let (here, _) = {
            let client = server.client();
            let response = client
                .post(server.url("/login"))
                .form(&[
                    ("email", user.email.as_str()),
                    ("password", password.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            (client, ())
        };
        let elsewhere = server
            .client()
            .post(server.url("/login"))
            .form(&[
                ("email", user.email.as_str()),
                ("password", password.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let other = cookie_pair(&elsewhere).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let pollers = poll_with(&server, &other, Arc::clone(&stop));
        let new = format!("une toute nouvelle phrase {round}");
        let changed = here
            .post(server.url("/compte/mot-de-passe"))
            .form(&[
                ("current", password.as_str()),
                ("new", new.as_str()),
                ("confirm", new.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        password = new;
        stop.store(true, Ordering::Relaxed);
        for poller in pollers {
            poller.await.unwrap();
        }
        assert!(
            is_dead(&server, &other).await,
            "round {round}: the other session survived"
        );
        // The session that changed the password goes on.
        assert_eq!(
            here.get(server.url("/")).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    server.stop().await;
}

/// Counts inserts and updates of the sessions table from now on.
async fn count_session_writes(db: &PgPool) {
    for statement in [
        "create table session_writes (n bigint not null)",
        "insert into session_writes values (0)",
        "create function count_session_write() returns trigger language plpgsql as
         $$ begin update session_writes set n = n + 1; return null; end $$",
        "create trigger count_session_writes after insert or update on sessions
         for each row execute function count_session_write()",
    ] {
        sqlx::query(statement).execute(db).await.unwrap();
    }
}

async fn session_writes(db: &PgPool) -> i64 {
    sqlx::query_scalar("select n from session_writes")
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_page_view_writes_nothing_and_the_idle_expiry_moves_at_most_every_few_minutes(
    db: PgPool,
) {
    let app = TestApp::new(db.clone());
    let (mut client, user) = app.signed_in(Role::Reader).await;
    count_session_writes(&db).await;
    for path in ["/", "/", "/compte/mot-de-passe", "/"] {
        assert_eq!(client.get(path).await.status, StatusCode::OK);
    }
    assert_eq!(session_writes(&db).await, 0, "page views wrote the session");

    // Five minutes later, one view pushes the idle expiry back; the next writes nothing.
    sqlx::query(
        "update sessions set data = jsonb_set(data, '{touched}', to_jsonb(extract(epoch from now())::bigint - 301)),
                             expires_at = now() + interval '1 hour'
         where user_id = $1",
    )
    .bind(user.id)
    .execute(&db)
    .await
    .unwrap();
    let before = session_writes(&db).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    assert_eq!(session_writes(&db).await, before + 1);
    let expires_in: f64 = sqlx::query_scalar(
        "select extract(epoch from expires_at - now())::float8 from sessions where user_id = $1",
    )
    .bind(user.id)
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(
        expires_in > 7000.0,
        "idle expiry not extended: {expires_in}"
    );
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    assert_eq!(session_writes(&db).await, before + 1);
}

/// The application in-process, taking the client address from `X-Forwarded-For`.
fn behind_proxy(db: PgPool) -> axum::Router {
    let mut config = common::config();
    config.trust_proxy = true;
    boussole::router(AppState::new(db, config))
}

async fn login_from(
    router: &axum::Router,
    ip: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Option<String>, String) {
    use tower::ServiceExt;
    let body = format!(
        "email={}&password={}",
        urlencode(email),
        urlencode(password)
    );
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", ip)
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, retry, String::from_utf8_lossy(&bytes).into_owned())
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn fifty_parallel_wrong_passwords_check_at_most_the_limit(db: PgPool) {
    let router = behind_proxy(db.clone());
    let user = create_user(&db, Role::Editor, "Marie Dupont").await;
    let answers = futures_join(
        (0..50)
            .map(|_| {
                let router = router.clone();
                let email = user.email.clone();
                async move {
                    login_from(&router, "10.0.0.1", &email, "mauvaise phrase")
                        .await
                        .0
                }
            })
            .collect(),
    )
    .await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 50, "{answers:?}");
    assert!(
        checked as i64 <= boussole::auth::db::MAX_FAILURES_PER_PAIR,
        "{checked} passwords checked"
    );

    // The right password from that address waits too, and the page says until when and who can help.
    let (status, retry, body) = login_from(&router, "10.0.0.1", &user.email, PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&seconds), "{seconds}");
    assert!(body.contains("Réessayez dans 15 minutes"), "{body}");
    assert!(body.contains("un administrateur"), "{body}");

    // From elsewhere, the owner still gets in: a stranger cannot lock a colleague out.
    let (status, _, _) = login_from(&router, "10.0.0.2", &user.email, PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn parallel_guesses_across_accounts_from_one_address_check_at_most_the_limit(db: PgPool) {
    let router = behind_proxy(db.clone());
    let answers = futures_join(
        (0..64)
            .map(|i| {
                let router = router.clone();
                async move {
                    login_from(
                        &router,
                        "10.0.0.9",
                        &format!("inconnu{i}@test.gouv.fr"),
                        "x",
                    )
                    .await
                    .0
                }
            })
            .collect(),
    )
    .await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked as i64 <= boussole::auth::db::MAX_FAILURES_PER_IP,
        "{checked} passwords checked"
    );
    assert!(
        answers
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS)
    );
}

async fn futures_join<F: std::future::Future<Output = StatusCode> + Send + 'static>(
    futures: Vec<F>,
) -> Vec<StatusCode> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn guessing_the_current_password_on_the_password_page_is_throttled_like_a_login(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut client, _) = app.signed_in(Role::Reader).await;
    let form = client.get("/compte/mot-de-passe").await;
    let new = "une toute nouvelle phrase";
    for _ in 0..boussole::auth::db::MAX_FAILURES_PER_PAIR {
        let wrong = client
            .submit(
                &form,
                "main form",
                &[
                    ("current", "une mauvaise phrase"),
                    ("new", new),
                    ("confirm", new),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let blocked = client
        .submit(
            &form,
            "main form",
            &[("current", PASSWORD), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.header("retry-after").is_some());
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_administrator_lifts_a_lock_out_from_the_accounts_page(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = create_user(&db, Role::Editor, "Paul Durand").await;
    let mut locked = app.client();
    for _ in 0..boussole::auth::db::MAX_FAILURES_PER_PAIR {
        locked.login(&user.email, "mauvaise phrase").await;
    }
    assert_eq!(
        locked.login(&user.email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get("/admin/utilisateurs").await;
    assert!(page.text("main").contains("5 échecs de connexion récents"));
    let html = page.html();
    let form = html
        .select(&scraper::Selector::parse("form[action$='/debloquer']").unwrap())
        .find(|f| f.html().contains("Paul Durand"))
        .expect("a Débloquer button for the locked account");
    let action = form.value().attr("action").unwrap().to_owned();
    let done = admin.post(&action, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/admin/utilisateurs")
            .await
            .text("main")
            .contains("Les échecs de connexion de ce compte sont effacés")
    );

    assert_eq!(
        locked.login(&user.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn control_characters_are_stripped_from_every_form_field(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &db, "Aide\u{0} au\u{7} répit").await;
    let page = editor.get(&format!("/produits/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "Aide au répit");

    // A NUL in the login form is a wrong password, not a server error.
    let mut visitor = app.client();
    assert_eq!(
        visitor.login("a\u{0}b@test.gouv.fr", "x\u{0}").await.status,
        StatusCode::UNAUTHORIZED
    );
    // In a query string or a path, too.
    assert_eq!(editor.get("/?q=%00abc").await.status, StatusCode::OK);
    assert_eq!(
        editor.get("/produits/a%00b").await.status,
        StatusCode::NOT_FOUND
    );
}

/// An indicator on a new product; returns its page URL.
async fn indicator(client: &mut common::Client, slug: &str) -> String {
    let page = client
        .post(
            &format!("/produits/{slug}/indicateurs"),
            &[
                ("name", "Satisfaction"),
                ("kind", "succes"),
                ("unit", "note /10"),
                ("direction", "hausse"),
                ("baseline_value", "6"),
                ("baseline_date", "01/01/2026"),
                ("target_value", "8"),
                ("target_date", "31/12/2026"),
                ("frequency", "mensuelle"),
                ("source", "jdma"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text("main"));
    page.location().unwrap().to_owned()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn dates_outside_1900_to_2200_are_refused_and_never_hide_the_other_measurements(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &db, "Mesures").await;
    let url = indicator(&mut editor, &slug).await;
    let ok = editor
        .post(
            &format!("{url}/mesures"),
            &[("date", "15/02/2026"), ("value", "7"), ("comment", "")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    for date in ["-0001-01-01", "9999-12-31", "1899-12-31"] {
        let refused = editor
            .post(
                &format!("{url}/mesures"),
                &[("date", date), ("value", "7,5"), ("comment", "gardé")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(
            refused
                .text("main")
                .contains("l’année doit être comprise entre 1900 et 2200"),
            "{date}: {}",
            refused.text("main")
        );
        assert_eq!(field_value(&refused, "value").as_deref(), Some("7,5"));
    }
    // Each message names its field.
    let empty = editor
        .post(
            &format!("{url}/mesures"),
            &[("date", ""), ("value", "7"), ("comment", "")],
        )
        .await;
    assert_eq!(
        empty.text("#date-erreur"),
        "Saisissez la date de la mesure."
    );
    let page = editor.get(&url).await;
    assert_eq!(page.texts("#mesures tbody tr").len(), 1);

    // The database refuses them too, whatever the path.
    let inserted = sqlx::query(
        "insert into measurements (indicator_id, measured_on, value) select id, '0002-01-01 BC', 1 from indicators",
    )
    .execute(&db)
    .await;
    assert!(inserted.is_err());
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_row_that_does_not_decode_is_a_server_error_not_an_empty_list(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &db, "Mesures").await;
    let url = indicator(&mut editor, &slug).await;
    editor
        .post(
            &format!("{url}/mesures"),
            &[("date", "15/02/2026"), ("value", "7"), ("comment", "")],
        )
        .await;
    // As if an old version had let an unknown value in.
    sqlx::query("alter table indicators drop constraint indicators_frequency_check")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("update indicators set frequency = 'chaque-lune'")
        .execute(&db)
        .await
        .unwrap();
    let page = editor.get(&url).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.text("main").contains("Erreur inattendue"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn csv_lines_with_control_characters_or_impossible_dates_are_error_lines(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &db, "Import").await;
    indicator(&mut editor, &slug).await;
    let boundary = "limite";
    let content = "indicateur;date;valeur;commentaire\nSatisfaction;-0001-01-01;7;\nSatisfaction;01/03/2026;7;a\u{0}b\nSatisfaction;01/04/2026;7;bon\n";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"m.csv\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let request = Request::post(format!("/produits/{slug}/indicateurs/import"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let preview = editor.send(request).await;
    assert!(
        preview.status.is_success() || preview.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        preview.status
    );
    let text = preview.text("main");
    assert!(
        text.contains("l’année doit être comprise entre 1900 et 2200"),
        "{text}"
    );
    assert!(text.contains("caractères de contrôle"), "{text}");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn exported_cells_that_look_like_formulas_are_text(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut editor, &db, "Exports").await;
    let url = indicator(&mut editor, &slug).await;
    editor
        .post(
            &format!("{url}/mesures"),
            &[
                ("date", "15/02/2026"),
                ("value", "-3"),
                ("comment", "=HYPERLINK(\"http://x\")"),
            ],
        )
        .await;
    let csv = editor
        .get(&format!("/produits/{slug}/indicateurs/mesures.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    // The negative value stays a number; the comment becomes text (quoted: it holds quotes).
    assert!(csv.body.contains(";-3;\"'=HYPERLINK"), "{}", csv.body);

    sqlx::query("update raci_activities set name = '=1+cmd|'' /C calc''!A0' where position = 1")
        .execute(&db)
        .await
        .unwrap();
    let raci = editor
        .get(&format!("/produits/{slug}/roles/raci.csv"))
        .await;
    assert_eq!(raci.status, StatusCode::OK);
    assert!(raci.body.contains("\n'=1+cmd"), "{}", raci.body);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_share_link_throttled_keeps_its_privacy_headers_and_says_when_to_retry(db: PgPool) {
    let app = TestApp::new(db.clone());
    sqlx::query("insert into share_hits (client_ip, minute, hits) values ('unknown', date_trunc('minute', now()), 1000)")
        .execute(&db)
        .await
        .unwrap();
    let page = app.client().get(&format!("/r/{}", "ab".repeat(32))).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(page.header("retry-after"), Some("60"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.header("x-robots-tag").unwrap().contains("noindex"));
    assert!(page.text("main").contains("réessayez dans une minute"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_write_that_is_not_a_form_gets_the_415_page(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut editor, _) = app.signed_in(Role::Editor).await;
    let before: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    let request = Request::post("/produits")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"Produit JSON"}"#))
        .unwrap();
    let page = editor.send(request).await;
    assert_eq!(page.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(page.text("h1"), "Format non pris en charge");
    let after: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(before, after);

    let text = Request::post("/login")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("email=a&password=b"))
        .unwrap();
    assert_eq!(
        app.client().send(text).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_write_whose_origin_is_not_exactly_the_base_url_is_refused(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = create_user(&db, Role::Reader, "Jean Leroy").await;
    // The in-process application's base URL is http://127.0.0.1:8080.
    for (origin, host) in [
        ("https://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://127.0.0.1:8081", "127.0.0.1:8080"),
        ("http://evil.example", "evil.example"),
        ("null", "127.0.0.1:8080"),
    ] {
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin)
            .header(header::HOST, host)
            .body(Body::from(format!(
                "email={}&password={}",
                urlencode(&user.email),
                urlencode(PASSWORD)
            )))
            .unwrap();
        let page = app.client().send(request).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{origin} with Host {host}"
        );
        assert_eq!(page.text("h1"), "Accès refusé");
    }
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .body(Body::from(format!(
            "email={}&password={}",
            urlencode(&user.email),
            urlencode(PASSWORD)
        )))
        .unwrap();
    assert_eq!(
        app.client().send(request).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_session_that_cannot_be_saved_gives_the_503_page_not_a_500(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let user = create_user(&db, Role::Reader, "Jean Leroy").await;
    // The database goes away between the handler's work and the session's save.
    sqlx::query(
        "create function refuse_session_write() returns trigger language plpgsql as
         $$ begin raise exception 'connection lost' using errcode = '08006'; end $$",
    )
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "create trigger refuse_session_write before update on sessions
         for each row execute function refuse_session_write()",
    )
    .execute(&db)
    .await
    .unwrap();
    // Deactivating pushes a flash message: the session must be saved.
    let page = admin
        .post(&format!("/admin/utilisateurs/{}/desactiver", user.id), &[])
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.text("h1"), "Service momentanément indisponible");
}

#[sqlx::test(migrations = false)]
async fn the_date_migration_repairs_rows_out_of_range_and_keeps_the_others(db: PgPool) {
    let migrations: Vec<_> = boussole::MIGRATOR.iter().collect();
    let repair = migrations
        .iter()
        .position(|m| m.description.contains("date ranges"))
        .expect("the date-range migration");
    for m in &migrations[..repair] {
        sqlx::raw_sql(m.sql.clone()).execute(&db).await.unwrap();
    }
    // What an older version let in: a measurement of year -1, one of 9999, a valid one.
    sqlx::raw_sql(
        "insert into directions (name, position) values ('D', 99);
         insert into phases (name, position) values ('P', 99);
         insert into products (id, slug, name, direction_id, typology, phase_id, phase_since)
           select '00000000-0000-0000-0000-000000000001', 'p', 'P',
                  (select id from directions where name = 'D'), 'demarches',
                  (select id from phases where name = 'P'), '2025-01-01';
         insert into indicators (id, product_id, name, kind, unit, direction, baseline_value, baseline_date, frequency, source)
           values ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001',
                   'I', 'succes', '%', 'hausse', 1, '2024-01-01', 'mensuelle', 'manuel');
         insert into indicator_targets (indicator_id, target_date, value) values
           ('00000000-0000-0000-0000-000000000002', '3026-12-31', 1),
           ('00000000-0000-0000-0000-000000000002', '3027-06-30', 2);
         insert into measurements (indicator_id, measured_on, value) values
           ('00000000-0000-0000-0000-000000000002', '0002-01-01 BC', 1),
           ('00000000-0000-0000-0000-000000000002', '9999-12-31', 2),
           ('00000000-0000-0000-0000-000000000002', '2025-06-01', 3);",
    )
    .execute(&db)
    .await
    .unwrap();
    sqlx::raw_sql(migrations[repair].sql.clone())
        .execute(&db)
        .await
        .unwrap();
    // Two targets beyond 2200: one is kept, on the bound (the primary key allows no more).
    let targets: i64 = sqlx::query_scalar(
        "select count(*) from indicator_targets where target_date = '2200-12-31'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(targets, 1);
    let rows: Vec<(chrono::NaiveDate, f64)> =
        sqlx::query_as("select measured_on, value from measurements order by measured_on")
            .fetch_all(&db)
            .await
            .unwrap();
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        rows,
        [
            (day(1900, 1, 1), 1.0),
            (day(2025, 6, 1), 3.0),
            (day(2200, 12, 31), 2.0)
        ]
    );
}

/// Posts the same form, as rendered once, to two instances at the same time: exactly one
/// save goes through, the other is the conflict page that keeps what was typed.
async fn save_on_both(
    a: &mut common::Client,
    b: &mut common::Client,
    page: &common::Page,
    form: &str,
    field: &str,
) {
    let one = [(field, "Saisie de la première instance")];
    let two = [(field, "Saisie de la seconde instance")];
    let (first, second) = tokio::join!(a.submit(page, form, &one), b.submit(page, form, &two));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "{form}: {} / {}",
        first.text("main"),
        second.text("main")
    );
    let conflict = if first.status == StatusCode::CONFLICT {
        &first
    } else {
        &second
    };
    assert!(
        conflict.body.contains("Saisie de la"),
        "{form}: the conflict page keeps the input"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_instances_saving_one_version_of_a_section_accept_one_and_refuse_the_other(db: PgPool) {
    let one = TestApp::new(db.clone());
    let two = TestApp::new(db.clone());
    let (mut a, _) = one.signed_in(Role::Editor).await;
    let mut b = two.client();
    b.cookie = a.cookie.clone();
    let slug = create_product(&mut a, &db, "Deux instances").await;

    // An indicator.
    let indicator = indicator(&mut a, &slug).await;
    let page = a.get(&format!("{indicator}/modifier")).await;
    save_on_both(&mut a, &mut b, &page, "main form", "name").await;

    // The RACI matrix.
    let people = a
        .get(&format!("/produits/{slug}/roles/personnes/nouvelle"))
        .await;
    let added = a
        .submit(
            &people,
            "main form",
            &[
                ("name", "Hugo Bernard"),
                ("team", "dnum"),
                ("role_title", "Responsable produit"),
                ("allocation", "100"),
            ],
        )
        .await;
    assert_eq!(
        added.status,
        StatusCode::SEE_OTHER,
        "{}",
        added.text("main")
    );
    let matrix = a.get(&format!("/produits/{slug}/roles")).await;
    let (_, fields) = common::form_fields(&matrix, "form[action$='/roles/raci']");
    let cell = fields
        .iter()
        .find(|(name, _)| name != "version")
        .map(|(name, _)| name.clone())
        .expect("a matrix cell");
    let r = [(cell.as_str(), "R")];
    let letter_a = [(cell.as_str(), "A")];
    let (first, second) = tokio::join!(
        a.submit(&matrix, "form[action$='/roles/raci']", &r),
        b.submit(&matrix, "form[action$='/roles/raci']", &letter_a),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);

    // A roadmap's initiative and risk.
    let month = |offset: u32| {
        (boussole::web::filters::today().with_day(1).unwrap() + chrono::Months::new(offset))
            .format("%Y-%m")
            .to_string()
    };
    let created = a
        .post(
            &format!("/produits/{slug}/roadmaps"),
            &[
                ("start_month", &month(0)),
                ("end_month", &month(2)),
                ("margin", "20"),
            ],
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{}",
        created.text("main")
    );
    let roadmap = created.location().unwrap().to_owned();
    let new = a.get(&format!("{roadmap}/initiatives/nouvelle")).await;
    let today = boussole::web::filters::today()
        .format("%Y-%m-%d")
        .to_string();
    let made = a
        .submit(
            &new,
            "main form",
            &[
                ("title", "Parcours"),
                ("starts_on", &today),
                ("ends_on", &today),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text("main"));
    let initiative: uuid::Uuid = sqlx::query_scalar("select id from initiatives")
        .fetch_one(&db)
        .await
        .unwrap();
    let page = a
        .get(&format!("{roadmap}/initiatives/{initiative}/modifier"))
        .await;
    save_on_both(&mut a, &mut b, &page, "main form", "title").await;

    let new = a.get(&format!("{roadmap}/risques/nouveau")).await;
    let made = a
        .submit(
            &new,
            "main form",
            &[("description", "Départ du prestataire")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text("main"));
    let risk: uuid::Uuid = sqlx::query_scalar("select id from risks")
        .fetch_one(&db)
        .await
        .unwrap();
    let page = a.get(&format!("{roadmap}/risques/{risk}/modifier")).await;
    save_on_both(&mut a, &mut b, &page, "main form", "description").await;
}

#[sqlx::test(migrations = false)]
async fn members_and_vision_contributors_become_people_of_the_product(db: PgPool) {
    let migrations: Vec<_> = boussole::MIGRATOR.iter().collect();
    let merge = migrations
        .iter()
        .position(|m| m.description.contains("people edit rights"))
        .expect("the people migration");
    for m in &migrations[..merge] {
        sqlx::raw_sql(m.sql.clone()).execute(&db).await.unwrap();
    }
    // Marie is a member already listed as a person; Paul a member and contributor who is not;
    // Jean only a contributor.
    sqlx::raw_sql(
        "insert into users (id, email, display_name, role, password_hash) values
           ('00000000-0000-0000-0000-0000000000a1', 'marie@x.fr', 'Marie', 'editor', 'x'),
           ('00000000-0000-0000-0000-0000000000a2', 'paul@x.fr', 'Paul', 'editor', 'x'),
           ('00000000-0000-0000-0000-0000000000a3', 'jean@x.fr', 'Jean', 'reader', 'x');
         insert into users (id, email, display_name, role, password_hash, active) values
           ('00000000-0000-0000-0000-0000000000a4', 'luc@x.fr', 'Luc', 'editor', 'x', false);
         insert into directions (name, position) values ('D', 99);
         insert into phases (name, position) values ('P', 99);
         insert into products (id, slug, name, direction_id, typology, phase_id, phase_since)
           select '00000000-0000-0000-0000-000000000001', 'p', 'P',
                  (select id from directions where name = 'D'), 'demarches',
                  (select id from phases where name = 'P'), '2025-01-01';
         insert into people (product_id, name, team, role_title, user_id) values
           ('00000000-0000-0000-0000-000000000001', 'Marie D.', 'metier', 'Référente',
            '00000000-0000-0000-0000-0000000000a1');
         insert into product_members (product_id, user_id) values
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1'),
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a2'),
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a4');
         insert into vision_contributors (product_id, user_id) values
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a2'),
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a3');",
    )
    .execute(&db)
    .await
    .unwrap();
    sqlx::raw_sql(migrations[merge].sql.clone())
        .execute(&db)
        .await
        .unwrap();
    let people: Vec<(String, String, bool)> =
        sqlx::query_as("select name, team, can_edit from people order by name")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        people,
        [
            ("Jean".to_owned(), "dnum".to_owned(), false),
            // A deactivated member is listed, without the right to edit.
            ("Luc".to_owned(), "dnum".to_owned(), false),
            ("Marie D.".to_owned(), "metier".to_owned(), true),
            ("Paul".to_owned(), "dnum".to_owned(), true),
        ]
    );
    let credited: Vec<String> = sqlx::query_scalar(
        "select p.name from vision_credits c join people p on p.id = c.person_id order by p.name",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(credited, ["Jean", "Paul"]);
}

/// A versioned form whose hidden version was garbled (by hand or by a tool) is refused with a
/// message saying so, keeps what was typed, and saves nothing.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_garbled_version_is_refused_with_its_message_and_keeps_the_input(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (mut a, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut a, &db, "Version illisible").await;
    let indicator = indicator(&mut a, &slug).await;
    let forms = [
        (format!("/produits/{slug}/modifier"), "description"),
        (format!("/produits/{slug}/vision/modifier"), "statement"),
        (format!("{indicator}/modifier"), "description"),
    ];
    for (url, field) in forms {
        let page = a.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        for garbled in ["NaN", "", "-1", "1.5"] {
            let before: i64 = sqlx::query_scalar("select count(*) from audit_events")
                .fetch_one(&db)
                .await
                .unwrap();
            let refused = a
                .submit(
                    &page,
                    "main form",
                    &[("version", garbled), (field, "Saisie à garder")],
                )
                .await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{url} with version {garbled:?}"
            );
            assert!(
                refused.text("[role=alert]").contains("version illisible"),
                "{url}: {}",
                refused.text("[role=alert]")
            );
            assert_eq!(
                field_value(&refused, field).as_deref(),
                Some("Saisie à garder"),
                "{url}: what was typed is kept"
            );
            let after: i64 = sqlx::query_scalar("select count(*) from audit_events")
                .fetch_one(&db)
                .await
                .unwrap();
            assert_eq!(before, after, "{url}: nothing was saved");
        }
    }
}

/// Every page reachable from the demo portfolio, read by an administrator (who sees every
/// page an editor does, and the admin pages), writes nothing to the database: no session
/// refresh, no counter, no cache.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn no_page_reachable_from_the_demo_writes_when_read(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    // A share link to read as a visitor too.
    let token = "c".repeat(64);
    sqlx::query(
        "insert into share_links (product_id, token_hash, label, expires_at)
         select id, sha256($1::bytea), 'Lecture', now() + interval '1 day' from products limit 1",
    )
    .bind(token.as_bytes())
    .execute(&db)
    .await
    .unwrap();
    admin.get("/").await;
    count_writes(&db).await;

    let mut queue = vec!["/".to_owned()];
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) || seen.len() > 400 {
            continue;
        }
        let page = admin.get(&path).await;
        assert!(
            page.status.is_success(),
            "{path}: {} {}",
            page.status,
            page.text("h1")
        );
        for href in page
            .html()
            .select(&scraper::Selector::parse("a[href^='/']").unwrap())
        {
            let href = href.value().attr("href").unwrap();
            let href = href.split('#').next().unwrap();
            if !href.starts_with("/static") && !href.is_empty() && !seen.contains(href) {
                queue.push(href.to_owned());
            }
        }
    }
    assert!(seen.len() > 100, "the crawl reached {} pages", seen.len());
    let public = app.client().get(&format!("/r/{token}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(
        written(&db).await,
        0,
        "reading {} pages wrote to the database",
        seen.len()
    );
}
