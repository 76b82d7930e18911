//! Signing in and out, the session's limits, throttling, password change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use common::{PASSWORD, TestApp, create_user};
use sqlx::PgPool;

const GENERIC_FAILURE: &str = "Adresse électronique ou mot de passe incorrect.";

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_user_signs_in_and_reaches_the_portfolio(db: PgPool) {
    let app = TestApp::new(db);
    let user = create_user(&app.db, Role::Editor, "Marie Dupont").await;
    let mut client = app.client();

    let login = client.login(&user.email.to_uppercase(), PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(login.location(), Some("/"));

    let portfolio = client.get("/").await;
    assert_eq!(portfolio.status, StatusCode::OK);
    assert_eq!(portfolio.text("h1"), "Portefeuille des produits");
    assert!(portfolio.text(".fr-header__tools").contains("Marie Dupont"));
    // An editor sees no administration entry.
    assert!(!portfolio.text("nav").contains("Administration"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_failed_login_says_the_same_thing_whether_or_not_the_account_exists(db: PgPool) {
    let app = TestApp::new(db);
    let user = create_user(&app.db, Role::Editor, "Marie Dupont").await;
    let mut client = app.client();

    let wrong_password = client.login(&user.email, "pas le bon mot de passe").await;
    let unknown_email = client.login("personne@test.gouv.fr", PASSWORD).await;
    for page in [&wrong_password, &unknown_email] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert_eq!(page.text("[role=alert]"), GENERIC_FAILURE);
        assert!(client.cookie.is_none(), "a failed login opens no session");
    }
    // The email typed is kept, the password is not.
    let email_value = wrong_password.html();
    let input = email_value
        .select(&scraper::Selector::parse("#email").unwrap())
        .next()
        .unwrap();
    assert_eq!(input.value().attr("value"), Some(user.email.as_str()));
    assert!(!wrong_password.body.contains("pas le bon mot de passe"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn pages_send_visitors_to_the_login_form_and_back(db: PgPool) {
    let app = TestApp::new(db);
    let user = create_user(&app.db, Role::Admin, "Alice Martin").await;
    let mut client = app.client();

    let page = client.get("/admin/utilisateurs").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login?next=/admin/utilisateurs"));

    let form = client.get("/login?next=/admin/utilisateurs").await;
    let next = form.html();
    let hidden = next
        .select(&scraper::Selector::parse("input[name=next]").unwrap())
        .next()
        .unwrap();
    assert_eq!(hidden.value().attr("value"), Some("/admin/utilisateurs"));

    let login = client
        .post(
            "/login",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "/admin/utilisateurs"),
            ],
        )
        .await;
    assert_eq!(login.location(), Some("/admin/utilisateurs"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn login_never_redirects_to_another_site(db: PgPool) {
    let app = TestApp::new(db);
    let user = create_user(&app.db, Role::Reader, "Jean Leroy").await;
    for next in [
        "https://elsewhere.example/phishing",
        "//elsewhere.example",
        "/\\elsewhere.example",
    ] {
        let mut client = app.client();
        let login = client
            .post(
                "/login",
                &[
                    ("email", &user.email),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER);
        assert_eq!(
            login.location(),
            Some("/"),
            "next={next} must not be followed"
        );
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn repeated_failures_on_one_account_are_throttled(db: PgPool) {
    let app = TestApp::new(db);
    let user = create_user(&app.db, Role::Editor, "Marie Dupont").await;
    let mut client = app.client();
    for _ in 0..boussole::auth::db::MAX_FAILURES_PER_PAIR {
        assert_eq!(
            client
                .login(&user.email, "mauvais mot de passe")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password waits: the attacker must not learn it is right.
    let blocked = client.login(&user.email, PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(blocked.text("h1"), "Trop de tentatives");
    assert!(
        blocked.text("main").contains("Réessayez dans 15 minutes"),
        "{}",
        blocked.text("main")
    );

    // Another account from elsewhere is not affected.
    let other = create_user(&app.db, Role::Editor, "Paul Durand").await;
    assert_eq!(
        app.client().login(&other.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Once the window has passed, the account can sign in again; nothing is locked for good.
    sqlx::query("update login_failures set attempted_at = attempted_at - interval '16 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        client.login(&user.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_deactivated_account_loses_its_session_and_cannot_sign_in(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let (mut editor, user) = app.signed_in(Role::Editor).await;
    assert_eq!(editor.get("/").await.status, StatusCode::OK);

    let done = admin
        .post(&format!("/admin/utilisateurs/{}/desactiver", user.id), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let list = admin.get("/admin/utilisateurs").await;
    assert!(list.text(".fr-alert").contains("Compte désactivé"));

    let after = editor.get("/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().unwrap().starts_with("/login"));
    let retry = app.client().login(&user.email, PASSWORD).await;
    assert_eq!(retry.status, StatusCode::UNAUTHORIZED);
    assert_eq!(retry.text("[role=alert]"), GENERIC_FAILURE);

    admin
        .post(&format!("/admin/utilisateurs/{}/reactiver", user.id), &[])
        .await;
    assert_eq!(
        app.client().login(&user.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_session_ends_twelve_hours_after_login_even_when_active(db: PgPool) {
    let app = TestApp::new(db);
    let (mut client, _) = app.signed_in(Role::Reader).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    sqlx::query(
        "update sessions set data = jsonb_set(data, '{auth,since}', to_jsonb(extract(epoch from now() - interval '12 hours 1 minute')::bigint))",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn changing_ones_password_checks_the_current_one_and_ends_other_sessions(db: PgPool) {
    let app = TestApp::new(db);
    let (mut here, user) = app.signed_in(Role::Editor).await;
    let mut elsewhere = app.client();
    assert_eq!(
        elsewhere.login(&user.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    let refused = here
        .post(
            "/compte/mot-de-passe",
            &[
                ("current", "pas celui-là du tout"),
                ("new", "court"),
                ("confirm", "court"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#current-erreur"),
        "Le mot de passe actuel est incorrect."
    );
    assert_eq!(
        refused.text("#new-erreur"),
        "Le mot de passe doit compter au moins 12 caractères."
    );

    let mismatch = here
        .post(
            "/compte/mot-de-passe",
            &[
                ("current", PASSWORD),
                ("new", "une nouvelle phrase"),
                ("confirm", "une autre phrase"),
            ],
        )
        .await;
    assert_eq!(
        mismatch.text("#confirm-erreur"),
        "La confirmation ne correspond pas au nouveau mot de passe."
    );

    let new = "une nouvelle phrase de passe";
    let changed = here
        .post(
            "/compte/mot-de-passe",
            &[("current", PASSWORD), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let page = here.get("/compte/mot-de-passe").await;
    assert!(
        page.text(".fr-alert")
            .contains("Votre mot de passe a été changé")
    );

    assert_eq!(
        elsewhere.get("/").await.status,
        StatusCode::SEE_OTHER,
        "the other session is closed"
    );
    assert_eq!(
        app.client().login(&user.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client().login(&user.email, new).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_form_sent_after_the_session_ended_says_so_and_leads_back_to_its_page(db: PgPool) {
    let app = TestApp::new(db);
    let (mut editor, user) = app.signed_in(Role::Editor).await;
    let slug = common::create_product(&mut editor, &app.db, "Session courte").await;
    let form_page = format!("/produits/{slug}/modifier");
    let page = editor.get(&form_page).await;
    assert_eq!(page.status, StatusCode::OK);
    // The session ends while the form is open (expiry, or logout in another tab).
    sqlx::query("delete from sessions where user_id = $1")
        .bind(user.id)
        .execute(&app.db)
        .await
        .unwrap();
    let (action, fields) = common::form_fields(&page, "main form");
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let request = axum::http::Request::post(&action)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", format!("http://127.0.0.1:8080{form_page}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    let sent = editor.send(request).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let login = sent.location().unwrap().to_owned();
    assert!(login.contains("session=terminee"), "{login}");
    let login_page = editor.get(&login).await;
    assert!(
        login_page
            .text(".fr-alert")
            .contains("Votre session a pris fin")
    );
    assert!(login_page.text(".fr-alert").contains(&form_page));
    let again = editor
        .submit(
            &login_page,
            "main form",
            &[("email", &user.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.location(), Some(form_page.as_str()));
}
