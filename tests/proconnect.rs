//! Login through ProConnect, against a real OpenID provider (`tests/oidc/provider.mjs`): the
//! happy path, the agents Boussole refuses and why, linking an account by invitation, every
//! check of the return and of the tokens, key rotation, an outage, and logout through the
//! provider.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use boussole::{auth::model::Role, config::UnknownAgents};
use common::{
    PASSWORD, TestServer, bind, create_user,
    oidc::{exclusive, follow_until, provider, sign_in_at_provider},
};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sqlx::PgPool;

// The provider is shared by the tests of this file, and some change it for everyone (tampered
// tokens, a new key, an outage): they take turns.

/// A server whose configuration names the test provider, with its own client there.
async fn app(db: &PgPool, unknown: UnknownAgents) -> TestServer {
    let listener = bind().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = provider()
        .client_for(common::config(), &base, unknown)
        .await;
    TestServer::start_on(listener, db.clone(), config).await
}

/// One browser (its cookies, for Boussole and the provider alike) on the server.
struct Browser<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
}

fn browser(server: &TestServer) -> Browser<'_> {
    Browser {
        server,
        client: server.client(),
    }
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        Self {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    fn text(&self, selector: &str) -> String {
        Html::parse_document(&self.body)
            .select(&Selector::parse(selector).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Browser<'_> {
    async fn get(&self, path: &str) -> Answer {
        Answer::of(self.client.get(self.server.url(path)).send().await.unwrap()).await
    }

    /// Submits the form `selector` of the page at `path` as rendered.
    async fn submit(&self, path: &str, selector: &str, changes: &[(&str, &str)]) -> Answer {
        let page = self.get(path).await;
        let html = Html::parse_document(&page.body);
        let form = html
            .select(&Selector::parse(selector).unwrap())
            .next()
            .unwrap_or_else(|| panic!("{path} has no {selector}: {}", page.body));
        let action = form.value().attr("action").unwrap().to_owned();
        let mut fields: Vec<(String, String)> = form
            .select(&Selector::parse("input[name]").unwrap())
            .map(|i| {
                (
                    i.value().attr("name").unwrap().to_owned(),
                    i.value().attr("value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        // A select sends its chosen option (the first when none is marked).
        for select in form.select(&Selector::parse("select[name]").unwrap()) {
            let options: Vec<_> = select.select(&Selector::parse("option").unwrap()).collect();
            let chosen = options
                .iter()
                .find(|o| o.value().attr("selected").is_some())
                .or(options.first());
            if let Some(option) = chosen {
                fields.push((
                    select.value().attr("name").unwrap().to_owned(),
                    option.value().attr("value").unwrap_or_default().to_owned(),
                ));
            }
        }
        for (name, value) in changes {
            let field = fields
                .iter_mut()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{selector} has no field {name}"));
            field.1 = (*value).to_owned();
        }
        Answer::of(
            self.client
                .post(self.server.url(&action))
                .form(&fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Follows the "S’identifier avec ProConnect" link of the login page at `login`.
    async fn start(&self, login: &str) -> Answer {
        let page = self.get(login).await;
        let href = Html::parse_document(&page.body)
            .select(&Selector::parse("a.fr-connect").unwrap())
            .next()
            .unwrap_or_else(|| panic!("no ProConnect button on {login}"))
            .value()
            .attr("href")
            .unwrap()
            .to_owned();
        self.get(&href).await
    }

    /// Clicks "S'identifier avec ProConnect" on the login page, signs in at the provider as
    /// `email`, and stops at the return address (not yet visited).
    async fn to_return(&self, email: &str) -> String {
        let started = self.start("/login?next=/produits").await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        let authorize = started.location.unwrap();
        assert!(authorize.starts_with(&provider().issuer), "{authorize}");
        let query: std::collections::HashMap<String, String> = url::Url::parse(&authorize)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(query["code_challenge_method"], "S256");
        // ProConnect asks for at least 32 characters.
        assert!(
            query["state"].len() >= 32 && query["nonce"].len() >= 32,
            "{authorize}"
        );
        sign_in_at_provider(&self.client, authorize, email, &self.server.base_url).await
    }

    /// Logs out with the header's button; the address of the provider's end-session endpoint
    /// that the next page goes on to.
    async fn logout(&self) -> String {
        let out = self.submit("/", "form[action='/logout']", &[]).await;
        assert_eq!(out.status, StatusCode::OK, "{}", out.body);
        let refresh = Html::parse_document(&out.body)
            .select(&Selector::parse("meta[http-equiv=refresh]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("content")
            .unwrap()
            .to_owned();
        assert!(
            out.text("main")
                .contains("Fermer aussi ma session ProConnect")
        );
        refresh.split_once("url=").unwrap().1.to_owned()
    }

    async fn visit(&self, url: &str) -> Answer {
        Answer::of(self.client.get(url).send().await.unwrap()).await
    }

    /// The whole login; the answer of the return address.
    async fn login(&self, email: &str) -> Answer {
        let back = self.to_return(email).await;
        self.visit(&back).await
    }

    async fn password_login(&self, email: &str) {
        let done = self
            .submit(
                "/login",
                "form[action='/login']",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }

    /// Who the header says is signed in (empty when nobody).
    async fn signed_in_as(&self) -> String {
        let page = self.get("/").await;
        if page.status == StatusCode::SEE_OTHER {
            return String::new();
        }
        page.text("header .fr-header__tools")
    }
}

async fn fresh_agent(given: &str, verified: bool) -> String {
    let email = format!(
        "{}.{}@travail.gouv.fr",
        given.to_lowercase(),
        &uuid::Uuid::new_v4().to_string()[..8]
    );
    provider().agent(&email, given, "Agent", verified).await;
    email
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_agent_logs_in_with_proconnect_and_lands_where_they_were_going(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let agent = browser(&server);
    let login = agent.get("/login").await;
    assert!(login.text("main").contains("S’identifier avec ProConnect"));
    assert!(login.text("main").contains("Qu’est-ce que ProConnect ?"));
    let email = fresh_agent("Camille", true).await;

    let landed = agent.login(&email).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(landed.location.as_deref(), Some("/produits"));
    assert!(agent.signed_in_as().await.contains("Camille Agent"));
    let role: String = sqlx::query_scalar("select role from users where email = $1")
        .bind(&email)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(role, "reader", "never more than a reader");
    let (acr, amr): (Option<String>, Vec<String>) =
        sqlx::query_as("select last_acr, last_amr from user_identities where email = $1")
            .bind(&email)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(acr.as_deref(), Some("eidas1"));
    assert_eq!(amr, ["pwd"]);

    // Logged out and in again: the same account, found by its identity.
    agent.logout().await;
    let again = agent.login(&email).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let accounts: i64 = sqlx::query_scalar("select count(*) from users where email = $1")
        .bind(&email)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(accounts, 1);

    // Administrators see how each account logs in; the password form does not open it.
    let admin = create_user(&db, Role::Admin, "Alice Admin").await;
    let as_admin = browser(&server);
    as_admin.password_login(&admin.email).await;
    let rows = as_admin.get("/admin/utilisateurs").await.text("tbody");
    assert!(
        rows.contains("ProConnect (dernière connexion le") && rows.contains("niveau eidas1"),
        "{rows}"
    );
    let someone = browser(&server);
    let refused = someone
        .submit(
            "/login",
            "form[action='/login']",
            &[("email", &email), ("password", "!proconnect")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_unknown_agent_is_refused_and_told_whom_to_ask(db: PgPool) {
    let _turn = exclusive().await;
    let admin = create_user(&db, Role::Admin, "Alice Admin").await;
    let server = app(&db, UnknownAgents::Refuse).await;
    let agent = browser(&server);
    let email = fresh_agent("Dominique", true).await;
    let refused = agent.login(&email).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.text("h1"), "Vous n’avez pas de compte Boussole");
    assert!(refused.text("main").contains(&email));
    assert!(refused.text("main").contains(&admin.email), "whom to ask");
    assert_eq!(agent.signed_in_as().await, "");
    let accounts: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(accounts, 1, "no account made");

    // The administrator creates the account, without a password: the next login opens it.
    let as_admin = browser(&server);
    as_admin.password_login(&admin.email).await;
    let form = as_admin.get("/admin/utilisateurs/nouveau").await;
    assert!(
        form.text("main")
            .contains("connexion avec ProConnect uniquement")
    );
    let created = as_admin
        .submit(
            "/admin/utilisateurs/nouveau",
            "form[action='/admin/utilisateurs']",
            &[
                ("display_name", "Dominique Agent"),
                ("email", &email),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let landed = agent.login(&email).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert!(agent.signed_in_as().await.contains("Dominique Agent"));
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_account_is_linked_by_invitation_only_and_once(db: PgPool) {
    let _turn = exclusive().await;
    let admin = create_user(&db, Role::Admin, "Alice Admin").await;
    let editor = create_user(&db, Role::Editor, "Eve Editrice").await;
    provider()
        .agent(&editor.email, "Eve", "Editrice", true)
        .await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let agent = browser(&server);

    // The same e-mail is not enough, even where unknown agents get an account.
    let refused = agent.login(&editor.email).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.text("h1"),
        "Votre compte n’est pas encore lié à ProConnect"
    );

    // The administrator invites the account from the list.
    let as_admin = browser(&server);
    as_admin.password_login(&admin.email).await;
    let invite = format!(
        "form[action='/admin/utilisateurs/{}/proconnect']",
        editor.id
    );
    let invited = as_admin.submit("/admin/utilisateurs", &invite, &[]).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER);
    let list = as_admin.get("/admin/utilisateurs").await;
    assert!(list.text("tbody").contains("Invité à lier ProConnect le"));

    let linked = agent.login(&editor.email).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    assert!(agent.signed_in_as().await.contains("Eve Editrice"));
    let (role, invited_at): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("select role, identity_invited_at from users where id = $1")
            .bind(editor.id)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(role, "editor", "the account as it was");
    assert!(invited_at.is_none(), "the invitation is taken");
    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where entity = 'account' and entity_id = $1 order by id",
    )
    .bind(editor.id)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(audited, ["identity-invite", "identity-link"]);

    // A deactivated account is refused whichever way it logs in.
    let deactivate = format!(
        "form[action='/admin/utilisateurs/{}/desactiver']",
        editor.id
    );
    as_admin
        .submit("/admin/utilisateurs", &deactivate, &[])
        .await;
    assert_eq!(agent.signed_in_as().await, "", "its session ended");
    let refused = agent.login(&editor.email).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.text("h1"), "Ce compte est désactivé");

    // An invitation is not taken with an e-mail the provider does not vouch for.
    let reader = create_user(&db, Role::Reader, "Rémi Lecteur").await;
    provider()
        .agent(&reader.email, "Rémi", "Lecteur", false)
        .await;
    let invite = format!(
        "form[action='/admin/utilisateurs/{}/proconnect']",
        reader.id
    );
    as_admin.submit("/admin/utilisateurs", &invite, &[]).await;
    let unverified = browser(&server).login(&reader.email).await;
    assert_eq!(unverified.status, StatusCode::FORBIDDEN);
    assert_eq!(unverified.text("h1"), "Adresse électronique non vérifiée");
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_return_that_is_not_this_logins_is_refused(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let email = fresh_agent("Sacha", true).await;

    // A state that is not the one this browser sent.
    let agent = browser(&server);
    let back = agent.to_return(&email).await;
    let forged = back.replacen("state=", "state=x", 1);
    let refused = agent.visit(&forged).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.text("h1"),
        "Cette connexion a expiré ou a déjà servi"
    );
    assert!(refused.text("main").contains("Identifiant de la requête"));
    // The login it belonged to is spent: its right return no longer works either.
    assert_eq!(
        agent.visit(&back).await.status,
        StatusCode::BAD_REQUEST,
        "a state serves once"
    );
    assert_eq!(agent.signed_in_as().await, "");

    // Another browser cannot use this browser's return.
    let victim = browser(&server);
    let back = victim.to_return(&email).await;
    let thief = browser(&server);
    assert_eq!(thief.visit(&back).await.status, StatusCode::BAD_REQUEST);

    // A code used once is refused by the provider the second time.
    let used = browser(&server);
    let first = used.to_return(&email).await;
    assert_eq!(used.visit(&first).await.status, StatusCode::SEE_OTHER);
    used.logout().await;
    let second = used.to_return(&email).await;
    let state = |url: &str| {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    };
    let replay = first.replace(&state(&first), &state(&second));
    let replayed = used.visit(&replay).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        replayed.text("h1"),
        "ProConnect n’a pas confirmé la connexion"
    );
    assert_eq!(used.signed_in_as().await, "");
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn tampered_tokens_are_refused_and_a_rotated_key_is_fetched(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let email = fresh_agent("Alex", true).await;
    for mode in [
        "wrong_aud",
        "wrong_iss",
        "expired",
        "wrong_nonce",
        "alg_none",
        "bad_signature",
        "unknown_key",
    ] {
        provider().tamper(mode).await;
        let agent = browser(&server);
        let refused = agent.login(&email).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{mode}");
        assert_eq!(
            refused.text("h1"),
            "La connexion n’a pas pu être vérifiée",
            "{mode}"
        );
        assert_eq!(agent.signed_in_as().await, "", "{mode}");
    }
    provider().reset().await;

    // The keys in hand, then a new one: fetched again when a token names it.
    let agent = browser(&server);
    assert_eq!(agent.login(&email).await.status, StatusCode::SEE_OTHER);
    provider().reset().await;
    let kid = provider().rotate().await;
    let after = browser(&server);
    let landed = after.login(&email).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert!(after.signed_in_as().await.contains("Alex Agent"), "{kid}");
    let jwks = provider()
        .log()
        .await
        .iter()
        .filter(|entry| entry["path"].as_str().is_some_and(|p| p.ends_with("/jwks")))
        .count();
    assert_eq!(
        jwks, 1,
        "the keys are fetched again after the rotation, once"
    );
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_provider_down_gets_a_french_page_and_passwords_still_work(db: PgPool) {
    let _turn = exclusive().await;
    let user = create_user(&db, Role::Editor, "Paul Editeur").await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    provider().down(true).await;
    let agent = browser(&server);
    let down = agent.start("/login").await;
    provider().down(false).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY);
    assert_eq!(down.text("h1"), "ProConnect ne répond pas");
    assert!(down.text("main").contains("Identifiant de la requête"));
    agent.password_login(&user.email).await;
    assert!(agent.signed_in_as().await.contains("Paul Editeur"));
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn logout_goes_through_the_provider(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let email = fresh_agent("Noa", true).await;
    let agent = browser(&server);
    agent.login(&email).await;
    let end_session = agent.logout().await;
    assert!(end_session.starts_with(&provider().issuer), "{end_session}");
    let query: Vec<String> = url::Url::parse(&end_session)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    for name in ["id_token_hint", "state", "post_logout_redirect_uri"] {
        assert!(query.iter().any(|k| k == name), "{name} in {end_session}");
    }
    // Signed out of Boussole before going there.
    assert_eq!(agent.signed_in_as().await, "");
    let back = follow_until(&agent.client, end_session, &server.base_url)
        .await
        .unwrap();
    assert!(back.contains("/logout/proconnect/retour?state="), "{back}");
    let returned = agent.visit(&back).await;
    assert_eq!(returned.location.as_deref(), Some("/login"));
    let login = agent.get("/login").await;
    assert!(
        login
            .text("main")
            .contains("Vous êtes déconnecté de Boussole et de ProConnect."),
        "{}",
        login.body
    );
    // The provider's session ended too: the next login asks for the agent again.
    let started = agent.start("/login").await;
    let at_provider =
        follow_until(&agent.client, started.location.unwrap(), &server.base_url).await;
    assert!(at_provider.is_err(), "the provider shows its login form");
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_first_logins_of_one_agent_at_once_make_one_account(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let email = fresh_agent("Jo", true).await;
    let (one, two) = (browser(&server), browser(&server));
    let (back_one, back_two) = (one.to_return(&email).await, two.to_return(&email).await);
    let (a, b) = tokio::join!(one.visit(&back_one), two.visit(&back_two));
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
    assert!(one.signed_in_as().await.contains("Jo Agent"));
    assert!(two.signed_in_as().await.contains("Jo Agent"));
    let accounts: i64 = sqlx::query_scalar("select count(*) from users where email = $1")
        .bind(&email)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn without_a_provider_the_login_page_is_the_password_form(db: PgPool) {
    let _turn = exclusive().await;
    let server = TestServer::start(db).await;
    let someone = browser(&server);
    let login = someone.get("/login").await;
    assert!(!login.body.contains("ProConnect"));
    assert_eq!(
        someone.get("/login/proconnect?next=/").await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn hostile_input_gets_a_clear_answer_never_a_server_error(db: PgPool) {
    let _turn = exclusive().await;
    let admin = create_user(&db, Role::Admin, "Alice Admin").await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let huge = "é".repeat(50_000);
    let hostile = [
        "\0",
        huge.as_str(),
        "<script>alert(1)</script>",
        "//evil.example/",
        "https://evil.example/",
        "NaN",
        "0000-00-00",
    ];
    let someone = browser(&server);
    for value in hostile {
        // Addresses have a length limit of their own: 8 KB of it stands for a long value.
        let value: String = value.chars().take(4_000).collect();
        let value = value.as_str();
        // The page to land on after login is one of ours, or the portfolio.
        let started = someone
            .start(&format!("/login?next={}", urlencode(value)))
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{value:.40}");
        for query in [
            format!("code={}&state={}", urlencode(value), urlencode(value)),
            format!("error={}&state=", urlencode(value)),
            format!("iss={}", urlencode(value)),
        ] {
            let answer = someone
                .get(&format!("/login/proconnect/retour?{query}"))
                .await;
            assert!(
                answer.status.is_client_error(),
                "{query:.60}: {}",
                answer.status
            );
            assert!(!answer.body.contains("<script>alert"), "markup is escaped");
        }
        let logout = someone
            .get(&format!(
                "/logout/proconnect/retour?state={}",
                urlencode(value)
            ))
            .await;
        assert_eq!(logout.location.as_deref(), Some("/login"));
    }
    // The landing page of a login is never elsewhere.
    let email = fresh_agent("Lou", true).await;
    let agent = browser(&server);
    let started = agent.start("/login?next=https://evil.example/").await;
    let back = sign_in_at_provider(
        &agent.client,
        started.location.unwrap(),
        &email,
        &server.base_url,
    )
    .await;
    assert_eq!(agent.visit(&back).await.location.as_deref(), Some("/"));

    let as_admin = browser(&server);
    as_admin.password_login(&admin.email).await;
    for id in ["pas-un-id", "00000000-0000-0000-0000-000000000000"] {
        let answer = Answer::of(
            as_admin
                .client
                .post(server.url(&format!("/admin/utilisateurs/{id}/proconnect")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(answer.status.is_client_error(), "{id}: {}", answer.status);
    }
    server.stop().await;
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_return_sent_twice_at_once_signs_in_once(db: PgPool) {
    let _turn = exclusive().await;
    let server = app(&db, UnknownAgents::CreateReader).await;
    let email = fresh_agent("Max", true).await;
    let agent = browser(&server);
    let back = agent.to_return(&email).await;
    // The same browser, its session cookie and the same return, twice at the same moment.
    let (a, b) = tokio::join!(agent.visit(&back), agent.visit(&back));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST]);
    server.stop().await;
}
