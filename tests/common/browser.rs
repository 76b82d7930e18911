//! Headless Chromium driven through chromedriver, with axe-core injected to check accessibility.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use axum::http::Method;
use fantoccini::{Client, ClientBuilder, Locator, key::Key, wd::WebDriverCompatibleCommand};
use serde_json::json;

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn start() -> Self {
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (the test command installs it)");
        // chromedriver says when it listens: wait for that line rather than guessing a delay.
        let stdout = driver.stdout.take().unwrap();
        let (started, ready) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                if line.unwrap_or_default().contains("started successfully") {
                    let _ = started.send(());
                    break;
                }
            }
            // Keep draining so that chromedriver never blocks on a full pipe.
            for _ in lines {}
        });
        tokio::time::timeout(Duration::from_secs(20), ready)
            .await
            .expect("chromedriver did not start within 20 s")
            .expect("chromedriver exited before listening");
        let webdriver = format!("http://127.0.0.1:{port}");
        let profile =
            std::env::temp_dir().join(format!("boussole-chromium-{}", uuid::Uuid::new_v4()));
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,1000".into(),
            "--lang=fr-FR".into(),
        ];
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut options = json!({ "args": args });
        if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        // What the page writes to the console, read by `console_errors`.
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "SEVERE" }));

        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|error| panic!("cannot start a Chromium session: {error}"));
        Self {
            client,
            driver,
            profile,
        }
    }

    /// Runs axe-core on the current page and fails listing every violation.
    pub async fn assert_accessible(&self, what: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "axe-core found violations on {what}:\n{}",
            violations.join("\n")
        );
    }

    /// What axe-core finds on the current page, one line per rule with the elements at fault.
    pub async fn axe_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/node_modules/axe-core/axe.min.js"
        ))
        .expect("axe-core is installed by npm ci");
        self.client.execute(&axe, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done(r.violations.map(v =>
                   v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(result).unwrap()
    }

    /// Errors the page logged to the console (failed loads, script errors) since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self.client.issue_cmd(BrowserLog).await.unwrap();
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Resizes the viewport (not the window) to `width` CSS pixels, as a phone or a desktop
    /// screen shows the page.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .issue_cmd(Cdp::new(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
            ))
            .await
            .unwrap();
    }

    /// Signs in through the login form (cookies of an earlier session dropped first) and waits
    /// until the browser has left the login page.
    pub async fn sign_in(&self, login_url: &str, email: &str, password: &str) {
        let c = &self.client;
        c.delete_all_cookies().await.unwrap();
        c.goto(login_url).await.unwrap();
        for (id, value) in [("email", email), ("password", password)] {
            let field = c.find(Locator::Id(id)).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys(value).await.unwrap();
        }
        c.find(Locator::XPath("//button[text()='Se connecter']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        for _ in 0..100 {
            if c.current_url().await.unwrap().path() != "/login" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{email} could not sign in");
    }

    /// Creates a share link with the form of the roadmap page shown; returns the link.
    pub async fn create_share_link(&self) -> String {
        let c = &self.client;
        c.find(Locator::XPath("//button[text()='Créer le lien']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::Id("nouveau-lien"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap()
    }

    /// Lays the page out for print (`@media print`) or back for the screen.
    pub async fn emulate_print(&self, print: bool) {
        self.client
            .issue_cmd(Cdp::new(
                "Emulation.setEmulatedMedia",
                json!({ "media": if print { "print" } else { "" } }),
            ))
            .await
            .unwrap();
    }

    /// Whether the page is wider than the viewport, with the elements sticking out if so.
    pub async fn sideways_scroll(&self) -> Option<String> {
        let found = self
            .client
            .execute(
                "const width = window.innerWidth;
                 if (document.documentElement.scrollWidth <= width) return null;
                 const out = [];
                 for (const e of document.body.querySelectorAll('*')) {
                   const r = e.getBoundingClientRect();
                   if (r.right > width + 1 && !e.closest('[data-bsl-outside]')) {
                     const parent = e.parentElement;
                     const pr = parent ? parent.getBoundingClientRect() : null;
                     if (!pr || pr.right <= width + 1) {
                       out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                         (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                         ' (right ' + Math.round(r.right) + ')');
                     }
                   }
                 }
                 return 'page ' + document.documentElement.scrollWidth + ' px wide for ' + width + ' px: ' + out.slice(0, 5).join(', ');",
                vec![],
            )
            .await
            .unwrap();
        found.as_str().map(str::to_owned)
    }

    /// Presses Tab until the focused element satisfies `is_target` (given its id and text),
    /// as a keyboard user would; panics after `max` presses.
    pub async fn tab_to(&self, max: usize, is_target: impl Fn(&str, &str) -> bool) {
        for _ in 0..max {
            self.press(Key::Tab).await;
            let focused = self.client.active_element().await.unwrap();
            let id = focused.attr("id").await.unwrap().unwrap_or_default();
            let text = focused.text().await.unwrap_or_default();
            if is_target(&id, &text) {
                return;
            }
        }
        panic!("no matching element reached with {max} presses of Tab");
    }

    pub async fn press(&self, key: Key) {
        self.type_text(&char::from(key).to_string()).await;
    }

    /// Types into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }

    /// The current page printed to PDF on A4 paper.
    pub async fn print_a4(&self, landscape: bool) -> Vec<u8> {
        let orientation = if landscape {
            fantoccini::wd::PrintOrientation::Landscape
        } else {
            fantoccini::wd::PrintOrientation::Portrait
        };
        let config = fantoccini::wd::PrintConfiguration::builder()
            .orientation(orientation)
            .size(fantoccini::wd::PrintSize::A4)
            .build()
            .unwrap();
        self.client.print(config).await.unwrap()
    }

    /// Fills a field found by id, replacing what it held.
    pub async fn fill(&self, id: &str, value: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Sets a field's value directly: typing into Chromium's date and month widgets depends on
    /// the locale's format.
    pub async fn set_value(&self, id: &str, value: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        let element = serde_json::to_value(&field).unwrap();
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![element, json!(value)],
            )
            .await
            .unwrap();
    }

    pub async fn fill_date(&self, id: &str, date: chrono::NaiveDate) {
        self.set_value(id, &date.to_string()).await;
    }

    /// Chooses an option of the select `id` by its label.
    pub async fn choose(&self, id: &str, label: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_label(label)
            .await
            .unwrap();
    }

    /// Ticks (or unticks) the checkbox whose label is `label`, opening the disclosure
    /// (`<details>`) it sits in first, as a person would.
    pub async fn tick(&self, label: &str) {
        let label = self
            .client
            .find(Locator::XPath(&format!(
                "//label[normalize-space(text())='{label}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("no checkbox « {label} »: {e}"));
        if let Ok(details) = label
            .find(Locator::XPath("ancestor::details[not(@open)]/summary"))
            .await
        {
            details.click().await.unwrap();
        }
        label.click().await.unwrap();
    }

    /// Follows the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link « {text} »: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Presses the button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        self.client
            .find(Locator::XPath(&format!("//button[text()='{text}']")))
            .await
            .unwrap_or_else(|e| panic!("no button « {text} »: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Waits for the page whose title (h1) is `text`.
    pub async fn wait_h1(&self, text: &str) {
        self.client
            .wait()
            .for_element(Locator::XPath(&format!("//h1[text()='{text}']")))
            .await
            .unwrap_or_else(|e| panic!("no page titled « {text} »: {e}"));
    }

    /// Saves a screenshot when BOUSSOLE_SCREENSHOTS names a folder, to look at the pages a
    /// journey visits.
    pub async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("BOUSSOLE_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
        }
    }

    pub async fn close(self) {
        let Self {
            client,
            mut driver,
            profile,
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        let _ = std::fs::remove_dir_all(profile);
    }
}

/// Chromium's console log (chromedriver's `se/log` endpoint).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// A Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute` endpoint).
#[derive(Debug)]
struct Cdp {
    body: String,
}

impl Cdp {
    fn new(cmd: &str, params: serde_json::Value) -> Self {
        Self {
            body: json!({ "cmd": cmd, "params": params }).to_string(),
        }
    }
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(self.body.clone()))
    }
}
