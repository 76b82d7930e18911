//! A real OpenID provider for the tests: `tests/oidc/provider.mjs` (oidc-provider, configured
//! like ProConnect), started once per test binary and stopped with it (it exits when its stdin
//! closes). Each test registers its own client, and runs under `exclusive()`: tampered tokens,
//! key rotation and outages change the provider for everyone.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{LazyLock, Mutex},
};

use boussole::{
    auth::oidc::{CALLBACK_PATH, LOGOUT_CALLBACK_PATH},
    config::{Config, OidcConfig, UnknownAgents},
};
use serde_json::{Value, json};

pub struct Provider {
    pub issuer: String,
    _child: Mutex<(Child, ChildStdin)>,
}

static PROVIDER: LazyLock<Provider> = LazyLock::new(|| {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new("node")
        .arg(format!("{root}/tests/oidc/provider.mjs"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs tests/oidc/provider.mjs (run npm ci first)");
    let stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started: Value = serde_json::from_str(&line)
        .unwrap_or_else(|_| panic!("the provider did not start: {line:?}"));
    Provider {
        issuer: started["issuer"].as_str().unwrap().to_owned(),
        _child: Mutex::new((child, stdin)),
    }
});

/// Tests that use the provider take turns: some change it for everyone.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    EXCLUSIVE.lock().await
}

pub fn provider() -> &'static Provider {
    &PROVIDER
}

impl Provider {
    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .request(method, format!("{}/__test/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// Registers a client whose addresses are under `base_url`; the configuration that uses it.
    pub async fn client_for(
        &self,
        mut config: Config,
        base_url: &str,
        unknown: UnknownAgents,
    ) -> Config {
        let id = format!("boussole-{}", uuid::Uuid::new_v4());
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        self.control(
            reqwest::Method::POST,
            "clients",
            json!({
                "client_id": id,
                "client_secret": secret,
                "redirect_uris": [format!("{base_url}{CALLBACK_PATH}")],
                "post_logout_redirect_uris": [format!("{base_url}{LOGOUT_CALLBACK_PATH}")],
            }),
        )
        .await;
        config.base_url = base_url.to_owned();
        config.oidc = Some(OidcConfig {
            issuer: self.issuer.clone(),
            client_id: id,
            client_secret: secret,
            scopes: boussole::config::OIDC_DEFAULT_SCOPES
                .split(' ')
                .map(str::to_owned)
                .collect(),
            unknown_agents: unknown,
        });
        config
    }

    /// An agent known to the provider.
    pub async fn agent(&self, email: &str, given: &str, usual: &str, verified: bool) {
        self.control(
            reqwest::Method::POST,
            "accounts",
            json!({"email": email, "given_name": given, "usual_name": usual, "email_verified": verified}),
        )
        .await;
    }

    /// The next token response carries an id_token altered so (`wrong_aud`, `expired`…).
    pub async fn tamper(&self, mode: &str) {
        self.control(reqwest::Method::POST, "tamper", json!({ "next": mode }))
            .await;
    }

    pub async fn rotate(&self) -> String {
        let answer = self
            .control(
                reqwest::Method::POST,
                "rotate",
                json!({ "keep_old": false }),
            )
            .await;
        answer["kid"].as_str().unwrap().to_owned()
    }

    pub async fn down(&self, down: bool) {
        self.control(reqwest::Method::POST, "down", json!({ "down": down }))
            .await;
    }

    pub async fn log(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "log", Value::Null)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn reset(&self) {
        self.control(reqwest::Method::POST, "reset", json!({}))
            .await;
    }
}

/// Follows redirects by hand (the client does not) until an address that starts with `stop`,
/// which is returned unvisited; a page on the way is returned with its address.
pub async fn follow_until(
    client: &reqwest::Client,
    mut url: String,
    stop: &str,
) -> Result<String, (String, reqwest::Response)> {
    for _ in 0..10 {
        if url.starts_with(stop) {
            return Ok(url);
        }
        let response = client.get(&url).send().await.unwrap();
        if !response.status().is_redirection() {
            return Err((url, response));
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        url = absolute(&url, &location);
    }
    panic!("too many redirects from {url}");
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The agent's part at the provider: from the authorization address to the return address
/// (under `app`), typing `email` into the provider's form as rendered.
pub async fn sign_in_at_provider(
    client: &reqwest::Client,
    authorize: String,
    email: &str,
    app: &str,
) -> String {
    let (page_url, page) = match follow_until(client, authorize, app).await {
        Ok(back) => return back, // the provider's own session was still open
        Err(page) => page,
    };
    let status = page.status();
    let body = page.text().await.unwrap();
    let html = scraper::Html::parse_document(&body);
    let form = html
        .select(&scraper::Selector::parse("form").unwrap())
        .next()
        .unwrap_or_else(|| panic!("no login form at {page_url} ({status}): {body}"));
    let action = absolute(&page_url, form.value().attr("action").unwrap());
    let input = html
        .select(&scraper::Selector::parse("form input[name]").unwrap())
        .next()
        .unwrap();
    let name = input.value().attr("name").unwrap();
    let posted = client
        .post(&action)
        .form(&[(name, email)])
        .send()
        .await
        .unwrap();
    assert!(
        posted.status().is_redirection(),
        "the provider refused {email}: {}",
        posted.status()
    );
    let location = posted.headers()["location"].to_str().unwrap().to_owned();
    match follow_until(client, absolute(&action, &location), app).await {
        Ok(back) => back,
        Err((url, response)) => panic!("stopped at {url}: {}", response.status()),
    }
}
