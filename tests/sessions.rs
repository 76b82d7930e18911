//! Session flows over a real socket: cookies, renewal, logout, cross-site requests, throttling
//! by client address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use boussole::auth::model::Role;
use common::{PASSWORD, TestServer, create_user};
use reqwest::StatusCode;
use sqlx::PgPool;

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("boussole_session=") && !v.contains("Max-Age=0"))
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_session_id_changes_at_login(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let first = create_user(&db, Role::Reader, "Jean Leroy").await;
    let second = create_user(&db, Role::Editor, "Marie Dupont").await;
    let client = server.client();

    let login = client
        .post(server.url("/login"))
        .form(&[("email", &first.email), ("password", &PASSWORD.to_owned())])
        .send()
        .await
        .unwrap();
    let before = session_cookie(&login).expect("a session cookie");
    assert!(
        before.contains("HttpOnly")
            && before.contains("SameSite=Lax")
            && !before.contains("Secure")
    );

    // Signing in again (here as someone else, as on a shared computer) issues a new id.
    let again = client
        .post(server.url("/login"))
        .form(&[("email", &second.email), ("password", &PASSWORD.to_owned())])
        .send()
        .await
        .unwrap();
    let after = session_cookie(&again).expect("a new session cookie");
    assert_ne!(cookie_pair(&before), cookie_pair(&after));

    // The old id is worthless.
    let replay = server
        .client()
        .get(server.url("/"))
        .header("cookie", cookie_pair(&before))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn after_logout_the_old_cookie_leads_to_the_login_page(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let user = create_user(&db, Role::Reader, "Jean Leroy").await;
    let client = server.client();
    let login = client
        .post(server.url("/login"))
        .form(&[("email", &user.email), ("password", &PASSWORD.to_owned())])
        .send()
        .await
        .unwrap();
    let cookie = cookie_pair(&session_cookie(&login).unwrap());
    assert_eq!(
        client.get(server.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );

    let logout = client.post(server.url("/logout")).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(logout.headers()["location"], "/login");
    let login_page = client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login_page.contains("Vous êtes déconnecté."));

    let replay = server
        .client()
        .get(server.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(replay.headers()["location"], "/login");
    let remaining: i64 = sqlx::query_scalar("select count(*) from sessions where user_id = $1")
        .bind(user.id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(remaining, 0, "the session is destroyed on the server");
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_cross_site_post_is_refused_with_the_french_403_page(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let user = create_user(&db, Role::Admin, "Alice Martin").await;
    let client = server.client();
    client
        .post(server.url("/login"))
        .form(&[("email", &user.email), ("password", &PASSWORD.to_owned())])
        .send()
        .await
        .unwrap();

    let forged = client
        .post(server.url("/admin/utilisateurs"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("email", "intrus@evil.example"),
            ("display_name", "Intrus"),
            ("role", "admin"),
            ("password", "une phrase assez longue"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("Accès refusé"));
    let count: i64 =
        sqlx::query_scalar("select count(*) from users where email = 'intrus@evil.example'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(count, 0);

    // The same post from the site itself goes through.
    let genuine = client
        .post(server.url("/admin/utilisateurs"))
        .header("origin", server.base_url.clone())
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", "nouvelle@test.gouv.fr"),
            ("display_name", "Nouvelle"),
            ("role", "reader"),
            ("password", "une phrase assez longue"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn many_failures_from_one_address_are_throttled(db: PgPool) {
    let server = TestServer::start(db.clone()).await;
    let user = create_user(&db, Role::Reader, "Jean Leroy").await;
    let client = server.client();
    // Spread over many accounts, so that only the per-address limit applies.
    for i in 0..boussole::auth::db::MAX_FAILURES_PER_IP {
        let response = client
            .post(server.url("/login"))
            .form(&[
                ("email", format!("inconnu{i}@test.gouv.fr")),
                ("password", "mauvais mot de passe".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = client
        .post(server.url("/login"))
        .form(&[("email", &user.email), ("password", &PASSWORD.to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.text().await.unwrap().contains("Réessayez dans"));
    server.stop().await;
}
