//! Reliability of the real binary, run as a child process the way it is deployed: the database
//! going away and coming back, SIGTERM during a request, a burst of logins, share tokens in the
//! logs, two instances saving the same version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    fs::File,
    io::Write,
    net::{TcpListener, TcpStream},
    os::unix::fs::MetadataExt,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{StatusCode, redirect::Policy};
use scraper::{ElementRef, Html, Selector};
use sqlx::PgPool;

const PASSWORD: &str = "une phrase de passe solide";

/// These tests measure the time and memory of whole processes: they run one at a time, so that
/// one test's burst of password hashing does not eat another's deadline on a small machine.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A fresh, empty directory under the system's temporary folder.
fn scratch_dir(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "boussole-{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port nobody listens on right now (the listener is dropped at once).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The URL of the test's own database, for the binary to use.
fn database_url(db: &PgPool) -> String {
    let options = db.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// Runs a one-shot subcommand (`migrate`, `create-user`) to success; returns its output.
fn boussole(database_url: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_boussole"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", database_url)
        .env("BOUSSOLE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "boussole {args:?} failed: {text}");
    text
}

/// Creates an account with `boussole create-user`, the password on standard input.
fn create_account(database_url: &str, email: &str, name: &str, role: &str) {
    let out = boussole(
        database_url,
        &[
            "create-user",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.contains("created"), "{out}");
}

/// `boussole serve` as a child process on a port of its own, its output kept in a file.
struct App {
    child: Child,
    port: u16,
    base: String,
    dir: PathBuf,
}

impl App {
    fn start(database_url: &str) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let dir = scratch_dir("serve");
        let out = File::create(dir.join("serve.log")).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_boussole"))
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", database_url)
            .env("BOUSSOLE_LISTEN", format!("127.0.0.1:{port}"))
            .env("BOUSSOLE_BASE_URL", &base)
            .env("BOUSSOLE_SECURE_COOKIES", "false")
            .env("BOUSSOLE_STATIC_DIR", "static")
            .env("BOUSSOLE_LOG", "info")
            .env("BOUSSOLE_LOG_FORMAT", "plain")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap();
        Self {
            child,
            port,
            base,
            dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Everything the process wrote to stdout and stderr so far.
    fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }

    /// Polls `/healthz` until it answers 200.
    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let probe = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("boussole serve exited ({status}) before answering");
            }
            assert!(
                Instant::now() < deadline,
                "boussole serve did not answer /healthz within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM, as an orchestrator does to stop an instance.
    fn kill_term(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
    }

    /// Polls until the process has exited; panics after `limit`.
    async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "boussole serve still running {limit:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The most memory the process has held so far (VmHWM), in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let logs = self.logs();
            let lines: Vec<&str> = logs.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!(
                "--- end of the log of boussole serve on port {} ---\n{tail}",
                self.port
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PostgreSQL cluster of the test's own, which it may stop and start at will.
struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// The newest installed server's binaries, if any.
    fn binaries() -> Option<PathBuf> {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter(|entry| entry.path().join("bin/initdb").exists())
            .map(|entry| {
                let version = entry.file_name().to_string_lossy().parse().unwrap_or(0);
                (version, entry.path().join("bin"))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    }

    /// A new cluster, owned by `postgres` when we are root (the server refuses to run as root).
    fn init(bin: PathBuf) -> Self {
        let dir = scratch_dir("postgres");
        if is_root() {
            let chown = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&dir)
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let pg = Self {
            bin,
            dir,
            port: free_port(),
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Starts the server and waits until it accepts connections.
    fn start(&self) {
        let data = self.data();
        let options = format!("-p {} -k {data} -c listen_addresses=127.0.0.1", self.port);
        let log = self.dir.join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "30", "start",
            ],
        );
    }

    /// Stops the server the way an operator does before maintenance: active sessions are cut.
    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let path = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        let _ = command
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
            eprintln!("--- log of the private PostgreSQL ---\n{log}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Browsing
// ---------------------------------------------------------------------------------------------

/// A client that keeps cookies and does not follow redirects, like the harness's.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn sign_in(client: &reqwest::Client, app: &App, email: &str) {
    let response = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap_or("").starts_with("boussole_session="));
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "login of {email}: {}",
        response.text().await.unwrap()
    );
    assert!(cookie, "login of {email} set no session cookie");
}

/// GETs a page that must answer 200; returns its HTML.
async fn page(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {url}: {}", title(&body));
    body
}

/// The page's `<title>`, whitespace collapsed.
fn title(html: &str) -> String {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse("title").unwrap())
        .next()
        .map(|t| t.text().collect::<String>())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_french(html: &str) -> bool {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse("html").unwrap())
        .next()
        .and_then(|h| h.value().attr("lang"))
        == Some("fr")
}

type Fields = Vec<(String, String)>;

/// What a browser would submit from the page's form that posts to `action`: every named field
/// as rendered — text and hidden inputs, checked boxes, selected options, textareas.
fn form_fields(html: &str, action: &str) -> Fields {
    let document = Html::parse_document(html);
    let form = document
        .select(&Selector::parse("form").unwrap())
        .find(|f| f.value().attr("action") == Some(action))
        .unwrap_or_else(|| panic!("no form posting to {action} on « {} »", title(html)));
    let named = Selector::parse("input[name], select[name], textarea[name]").unwrap();
    let option = Selector::parse("option").unwrap();
    let option_value = |o: &ElementRef| {
        o.value()
            .attr("value")
            .map(str::to_owned)
            .unwrap_or_else(|| o.text().collect::<String>().trim().to_owned())
    };
    let mut fields = Fields::new();
    for field in form.select(&named) {
        let element = field.value();
        if element.attr("disabled").is_some() {
            continue;
        }
        let name = element.attr("name").unwrap().to_owned();
        match element.name() {
            "textarea" => fields.push((name, field.text().collect())),
            "select" => {
                let options: Vec<ElementRef> = field.select(&option).collect();
                let selected: Vec<&ElementRef> = options
                    .iter()
                    .filter(|o| o.value().attr("selected").is_some())
                    .collect();
                if element.attr("multiple").is_some() {
                    fields.extend(
                        selected
                            .into_iter()
                            .map(|o| (name.clone(), option_value(o))),
                    );
                } else if let Some(chosen) = selected.first().copied().or(options.first()) {
                    fields.push((name, option_value(chosen)));
                }
            }
            _ => match element
                .attr("type")
                .unwrap_or("text")
                .to_ascii_lowercase()
                .as_str()
            {
                "submit" | "button" | "reset" | "image" | "file" => {}
                "checkbox" | "radio" => {
                    if element.attr("checked").is_some() {
                        fields.push((name, element.attr("value").unwrap_or("on").to_owned()));
                    }
                }
                _ => fields.push((name, element.attr("value").unwrap_or("").to_owned())),
            },
        }
    }
    fields
}

/// Sets a field as a user would type it (the first of that name, or a new one).
fn set(fields: &mut Fields, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

fn get<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The first real choice of a select (not its "Choisir…" placeholder).
fn first_choice(html: &str, select: &str) -> String {
    let document = Html::parse_document(html);
    let options = Selector::parse(&format!("select[name=\"{select}\"] option")).unwrap();
    document
        .select(&options)
        .filter_map(|o| o.value().attr("value"))
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("no choice in the select {select}"))
        .to_owned()
}

/// The first link whose address ends with `suffix`.
fn link_ending_with(html: &str, suffix: &str) -> String {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse("a[href]").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .find(|href| href.ends_with(suffix))
        .unwrap_or_else(|| panic!("no link ending with {suffix} on « {} »", title(html)))
        .to_owned()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_gives_503_then_recovers() {
    let Some(bin) = PrivatePostgres::binaries() else {
        eprintln!(
            "SKIPPED postgres_stopped_under_load_gives_503_then_recovers: \
             no PostgreSQL server binaries (initdb) under /usr/lib/postgresql"
        );
        return;
    };
    let _serial = SERIAL.lock().await;
    let pg = tokio::task::block_in_place(|| {
        let pg = PrivatePostgres::init(bin);
        pg.start();
        pg
    });
    let url = pg.url("boussole");
    let migrated = boussole(&url, &["migrate"], "");
    assert!(migrated.contains("Migrations applied."), "{migrated}");
    let email = "exploitation@sg.social.gouv.fr";
    create_account(&url, email, "Équipe Exploitation", "reader");
    let mut app = App::start(&url);
    app.wait_ready().await;
    let client = browser();
    sign_in(&client, &app, email).await;
    assert_eq!(
        title(&page(&client, &app.url("/")).await),
        "Portefeuille — Boussole"
    );

    // Readers keep opening the portfolio throughout the outage.
    let stop_load = Arc::new(AtomicBool::new(false));
    let pages_served = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..3)
        .map(|_| {
            let (client, url) = (client.clone(), app.url("/"));
            let (stop, served) = (Arc::clone(&stop_load), Arc::clone(&pages_served));
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut pace = tokio::time::interval(Duration::from_millis(25));
                while !stop.load(Ordering::SeqCst) {
                    pace.tick().await;
                    let answer = client.get(&url).send().await;
                    let answer = answer.map(|r| r.status()).map_err(|e| e.to_string());
                    if answer == Ok(StatusCode::OK) {
                        served.fetch_add(1, Ordering::SeqCst);
                    }
                    answers.push(answer);
                }
                answers
            })
        })
        .collect();
    served_more_than(&pages_served, 3).await;

    tokio::task::block_in_place(|| pg.stop());
    let stopped = Instant::now();
    // Within 3 s: the pool gives up on an unreachable database after 2 s (`app::pool`).
    let deadline = stopped + Duration::from_secs(3);
    let outage_page = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        assert!(
            !remaining.is_zero(),
            "GET / did not answer 503 within 3 s of PostgreSQL stopping"
        );
        let answer = client.get(app.url("/")).timeout(remaining).send().await;
        match answer {
            Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {
                break r.text().await.unwrap();
            }
            Ok(r) => assert!(
                r.status() == StatusCode::OK,
                "GET / answered {} while PostgreSQL was stopping",
                r.status()
            ),
            Err(e) => assert!(
                e.is_timeout(),
                "GET / failed while PostgreSQL was stopping: {e}"
            ),
        }
    };
    eprintln!(
        "503 for GET / {:?} after PostgreSQL stopped",
        stopped.elapsed()
    );
    assert_eq!(
        title(&outage_page),
        "Service momentanément indisponible — Boussole"
    );
    assert!(is_french(&outage_page));

    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the process itself is fine"
    );
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the load balancer must take the instance out"
    );

    tokio::task::block_in_place(|| pg.start());
    let restarted = Instant::now();
    let deadline = restarted + Duration::from_secs(5);
    let back = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        assert!(
            !remaining.is_zero(),
            "GET / not back to 200 within 5 s of PostgreSQL restarting (no app restart)"
        );
        match client.get(app.url("/")).timeout(remaining).send().await {
            Ok(r) if r.status() == StatusCode::OK => break r.text().await.unwrap(),
            Ok(r) => assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE),
            Err(e) => assert!(e.is_timeout(), "GET / failed after the restart: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "200 for GET / {:?} after PostgreSQL restarted",
        restarted.elapsed()
    );
    assert_eq!(
        title(&back),
        "Portefeuille — Boussole",
        "same session, still signed in"
    );
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // The readers, too, get their pages again.
    served_more_than(&pages_served, pages_served.load(Ordering::SeqCst)).await;
    stop_load.store(true, Ordering::SeqCst);
    let mut answers = Vec::new();
    for task in load {
        answers.extend(task.await.unwrap());
    }
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|a| !matches!(a, Ok(StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "under load, every answer is the page or the 503 page; got {unexpected:?}"
    );
    assert!(answers.contains(&Ok(StatusCode::SERVICE_UNAVAILABLE)));
}

/// Polls until the readers' load has been served more than `count` pages.
async fn served_more_than(served: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while served.load(Ordering::SeqCst) <= count {
        assert!(
            Instant::now() < deadline,
            "the readers' load got no page within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn sigterm_lets_the_request_in_flight_finish(db: PgPool) {
    let _serial = SERIAL.lock().await;
    let url = database_url(&db);
    let email = "jean.lecteur@sg.social.gouv.fr";
    create_account(&url, email, "Jean Lecteur", "reader");
    let mut app = App::start(&url);
    app.wait_ready().await;
    let client = browser();
    sign_in(&client, &app, email).await;

    // Hold every request that reads a session.
    let mut lock = db.begin().await.unwrap();
    sqlx::query("lock table sessions in access exclusive mode")
        .execute(&mut *lock)
        .await
        .unwrap();
    let in_flight = tokio::spawn({
        let (client, url) = (client.clone(), app.url("/"));
        async move {
            let response = client.get(url).send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.text().await?))
        }
    });
    let database = db.connect_options().get_database().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'",
        )
        .bind(&database)
        .fetch_one(&db)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "GET / never waited on the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    app.kill_term();
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", app.port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !in_flight.is_finished(),
        "the request must still be in flight"
    );

    lock.commit().await.unwrap();
    let (status, body) = tokio::time::timeout(Duration::from_secs(10), in_flight)
        .await
        .expect("the request in flight finishes")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(title(&body), "Portefeuille — Boussole");
    let exit = app.wait_exit(Duration::from_secs(10)).await;
    assert!(
        exit.success(),
        "SIGTERM must end in a clean exit, got {exit}"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn password_hashing_memory_stays_bounded(db: PgPool) {
    let _serial = SERIAL.lock().await;
    let url = database_url(&db);
    let real = "marie.editrice@sg.social.gouv.fr";
    create_account(&url, real, "Marie Éditrice", "editor");
    let mut app = App::start(&url);
    app.wait_ready().await;
    let before = app.peak_rss_kib();

    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let attempts: Vec<_> = (0..200)
        .map(|i| {
            let email = if i % 5 == 0 {
                real.to_owned()
            } else {
                format!("inconnu.{i}@sg.social.gouv.fr")
            };
            let (client, url) = (client.clone(), app.url("/login"));
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .form(&[("email", email.as_str()), ("password", "pas le bon mot")])
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                (status, retry_after, response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    let peak = app.peak_rss_kib();
    eprintln!(
        "peak RSS {} MiB before the burst, {} MiB after; {} × 401, {} × 429",
        before / 1024,
        peak / 1024,
        answers
            .iter()
            .filter(|a| a.0 == StatusCode::UNAUTHORIZED)
            .count(),
        answers
            .iter()
            .filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS)
            .count(),
    );

    let wrong: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| !matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS))
        .map(|(s, _, body)| format!("{s}: {}", title(body)))
        .collect();
    assert!(
        wrong.is_empty(),
        "every answer is 401 or 429; got {wrong:?}"
    );
    assert!(
        answers.iter().any(|a| a.0 == StatusCode::UNAUTHORIZED),
        "some passwords were actually checked"
    );
    for (status, retry_after, body) in &answers {
        if *status == StatusCode::TOO_MANY_REQUESTS {
            let seconds: u64 = retry_after
                .as_deref()
                .expect("a 429 says when to retry")
                .parse()
                .unwrap();
            assert!(seconds >= 1);
            assert!(
                title(body).starts_with("Trop de tentatives"),
                "{}",
                title(body)
            );
        } else {
            assert_eq!(title(body), "Connexion — Boussole");
        }
    }
    assert!(
        peak < 150 * 1024,
        "peak RSS {} MiB: password hashing must stay bounded (150 MiB)",
        peak / 1024
    );
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn share_tokens_never_reach_the_logs(db: PgPool) {
    let _serial = SERIAL.lock().await;
    let url = database_url(&db);
    let mut app = App::start(&url);
    app.wait_ready().await;
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    assert_eq!(token.len(), 64);
    let client = browser();

    let unknown = client
        .get(app.url(&format!("/r/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body = unknown.text().await.unwrap();
    assert_eq!(title(&body), "Lien indisponible — Boussole");
    assert!(is_french(&body));
    let below = client
        .get(app.url(&format!("/r/{token}/imprimer?vue=mois")))
        .send()
        .await
        .unwrap();
    assert_eq!(below.status(), StatusCode::NOT_FOUND);

    // Stop the process, so that everything it logged is in the file.
    app.kill_term();
    assert!(app.wait_exit(Duration::from_secs(10)).await.success());
    let logs = app.logs();
    assert!(
        logs.contains(&format!("/r/{}…", &token[..6])),
        "the request is logged with its token masked:\n{logs}"
    );
    // Not the token, nor any long piece of it.
    for start in 0..=token.len() - 16 {
        let piece = &token[start..start + 16];
        assert!(
            !logs.contains(piece),
            "the logs hold part of the share token ({piece}):\n{logs}"
        );
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn two_instances_refuse_the_second_of_two_saves_with_one_version(db: PgPool) {
    let _serial = SERIAL.lock().await;
    let url = database_url(&db);
    let email = "marie.editrice@sg.social.gouv.fr";
    create_account(&url, email, "Marie Éditrice", "editor");
    let mut a = App::start(&url);
    let mut b = App::start(&url);
    a.wait_ready().await;
    b.wait_ready().await;
    let client = browser();
    sign_in(&client, &a, email).await;
    // Sessions live in the database: behind a load balancer, either instance knows the user.
    assert_eq!(
        title(&page(&client, &b.url("/")).await),
        "Portefeuille — Boussole"
    );

    let new = page(&client, &a.url("/produits/nouveau")).await;
    let mut fields = form_fields(&new, "/produits");
    set(&mut fields, "name", "Déclaration sociale nominative");
    set(
        &mut fields,
        "direction_id",
        &first_choice(&new, "direction_id"),
    );
    set(&mut fields, "typology", &first_choice(&new, "typology"));
    let created = client
        .post(a.url("/produits"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        StatusCode::SEE_OTHER,
        "creating the product"
    );
    let sheet = location(&created);

    // The product sheet.
    save_twice(
        &client,
        [&a, &b],
        &format!("{sheet}/modifier"),
        "description",
    )
    .await;

    // The vision, reached from the sheet.
    let product_page = page(&client, &a.url(&sheet)).await;
    let vision = link_ending_with(&product_page, "/vision/modifier");
    save_twice(&client, [&a, &b], &vision, "statement").await;

    // A roadmap, created from the sheet's roadmaps page.
    let roadmaps = link_ending_with(&product_page, "/roadmaps");
    let index = page(&client, &a.url(&roadmaps)).await;
    let mut fields = form_fields(&index, &roadmaps);
    set(&mut fields, "start_month", "2027-01");
    set(&mut fields, "end_month", "2027-03");
    set(&mut fields, "margin", "20");
    let created = client
        .post(a.url(&roadmaps))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = created.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "creating the roadmap: {}",
        title(&created.text().await.unwrap())
    );
    let roadmap_url = location(&created);
    let roadmap = page(&client, &a.url(&roadmap_url)).await;
    let edit = link_ending_with(&roadmap, &format!("{roadmap_url}/modifier"));
    save_twice(&client, [&a, &b], &edit, "margin").await;
}

/// Two people opened the same edit form; each saves it, through a different instance, at the
/// same moment. Exactly one save applies; the other gets the 409 conflict page, which keeps what
/// that person typed and offers the fresh version.
async fn save_twice(client: &reqwest::Client, apps: [&App; 2], path: &str, field: &str) {
    let form = page(client, &apps[0].url(path)).await;
    let fields = form_fields(&form, path);
    let version = get(&fields, "version")
        .unwrap_or_else(|| panic!("{path}: the form carries its version"))
        .to_owned();
    let typed = if field == "margin" {
        ["10", "30"]
    } else {
        [
            "Ce que Marie a saisi sur la première instance.",
            "Ce que Marie a saisi sur la seconde instance.",
        ]
    };
    let posts = [0, 1].map(|i| {
        let mut fields = fields.clone();
        set(&mut fields, field, typed[i]);
        client.post(apps[i].url(path)).form(&fields).send()
    });
    let [first, second] = posts;
    let (first, second) = tokio::join!(first, second);
    let answers = [first.unwrap(), second.unwrap()];
    let statuses = answers.each_ref().map(|r| r.status());
    let (Some(saved), Some(refused)) = (
        statuses.iter().position(|s| *s == StatusCode::SEE_OTHER),
        statuses.iter().position(|s| *s == StatusCode::CONFLICT),
    ) else {
        panic!("{path}: expected one 303 and one 409, got {statuses:?}");
    };
    let [first, second] = answers;
    let conflict = if refused == 0 { first } else { second };
    let conflict = conflict.text().await.unwrap();
    assert!(
        title(&conflict).starts_with("Conflit"),
        "{path}: {}",
        title(&conflict)
    );
    let kept = form_fields(&conflict, path);
    assert_eq!(
        get(&kept, field),
        Some(typed[refused]),
        "{path}: the conflict page keeps what was typed"
    );
    assert_ne!(
        get(&kept, "version"),
        Some(version.as_str()),
        "{path}: the conflict page offers the fresh version"
    );
    let now = form_fields(&page(client, &apps[refused].url(path)).await, path);
    assert_eq!(
        get(&now, field),
        Some(typed[saved]),
        "{path}: the save that won is the one stored"
    );
}

/// Share-link views are counted in memory: the ones counted just before SIGTERM reach the
/// database when the instance stops.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn share_link_views_counted_in_memory_survive_a_stop(db: PgPool) {
    let _serial = SERIAL.lock().await;
    let url = database_url(&db);
    let token = "d".repeat(64);
    sqlx::raw_sql(
        "insert into directions (name, position) values ('D', 99);
         insert into phases (name, position) values ('P', 99);
         insert into products (slug, name, direction_id, typology, phase_id, phase_since)
           select 'p', 'Partagé', (select id from directions where name = 'D'), 'demarches',
                  (select id from phases where name = 'P'), current_date;
         insert into visions (product_id) select id from products;",
    )
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "insert into share_links (product_id, token_hash, expires_at)
         select id, sha256($1::bytea), now() + interval '1 day' from products",
    )
    .bind(token.as_bytes())
    .execute(&db)
    .await
    .unwrap();
    let mut app = App::start(&url);
    app.wait_ready().await;
    let client = browser();
    for _ in 0..3 {
        let view = client
            .get(app.url(&format!("/r/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(view.status(), StatusCode::OK);
    }
    app.kill_term();
    assert!(app.wait_exit(Duration::from_secs(10)).await.success());
    let views: i64 = sqlx::query_scalar("select views from share_links")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(views, 3, "the views counted before the stop are recorded");
}
