//! Headless Chromium driven through chromedriver, with axe-core injected to check accessibility.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, key::Key};
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
        let violations: Vec<String> = serde_json::from_value(result).unwrap();
        assert!(
            violations.is_empty(),
            "axe-core found violations on {what}:\n{}",
            violations.join("\n")
        );
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
