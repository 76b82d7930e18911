//! The command line: demo data and account creation, run as the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Write,
    process::{Command, Stdio},
};

use sqlx::PgPool;

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

fn boussole(db: &PgPool, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_boussole"))
        .args(args)
        .env("DATABASE_URL", database_url(db))
        .env("RUST_BACKTRACE", "0")
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
    (output.status.success(), text)
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn demo_loads_once_and_refuses_a_database_with_other_data(db: PgPool) {
    let (ok, out) = boussole(&db, &["demo"], "");
    assert!(ok, "{out}");
    assert!(out.contains("Demo data loaded."));
    let (ok, out) = boussole(&db, &["demo"], "");
    assert!(ok && out.contains("already loaded"), "{out}");
    let accounts: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(accounts, 3, "one account per role, not duplicated");
    let products: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(products, 30, "about thirty products, not duplicated");
    let phases: i64 = sqlx::query_scalar("select count(distinct phase_id) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(phases, 6, "spread over every phase");
    let histories: i64 = sqlx::query_scalar("select count(*) from phase_changes")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(histories > products, "with phase histories");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn demo_refuses_a_database_holding_real_data_unless_forced(db: PgPool) {
    let (ok, _) = boussole(
        &db,
        &[
            "create-user",
            "--email",
            "vraie@sg.social.gouv.fr",
            "--name",
            "Vraie Personne",
            "--role",
            "admin",
        ],
        "une phrase de passe\n",
    );
    assert!(ok);
    let (ok, out) = boussole(&db, &["demo"], "");
    assert!(!ok && out.contains("--force"), "{out}");
    let products: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(products, 0);
    let (ok, _) = boussole(&db, &["demo", "--force"], "");
    assert!(ok);
    let accounts: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(accounts, 4);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn create_user_reads_the_password_from_stdin_and_applies_the_policy(db: PgPool) {
    let (ok, out) = boussole(
        &db,
        &[
            "create-user",
            "--email",
            "marie@sg.social.gouv.fr",
            "--name",
            "Marie",
            "--role",
            "editor",
        ],
        "court\n",
    );
    assert!(!ok && out.contains("au moins 12 caractères"), "{out}");

    let (ok, out) = boussole(
        &db,
        &[
            "create-user",
            "--email",
            "marie@sg.social.gouv.fr",
            "--name",
            "Marie",
            "--role",
            "editor",
        ],
        "une phrase de passe\n",
    );
    assert!(ok, "{out}");
    let hash: String = sqlx::query_scalar(
        "select password_hash from users where email = 'marie@sg.social.gouv.fr'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(boussole::auth::model::verify_password(
        "une phrase de passe",
        &hash
    ));

    let (ok, out) = boussole(
        &db,
        &[
            "create-user",
            "--email",
            "MARIE@sg.social.gouv.fr",
            "--name",
            "Marie",
            "--role",
            "editor",
        ],
        "une phrase de passe\n",
    );
    assert!(!ok && out.contains("already exists"), "{out}");
    // The password is never taken from the command line.
    let (ok, _) = boussole(
        &db,
        &[
            "create-user",
            "--email",
            "b@sg.social.gouv.fr",
            "--name",
            "B",
            "--role",
            "reader",
            "--password",
            "une phrase de passe",
        ],
        "",
    );
    assert!(!ok);
}

#[test]
fn a_bad_variable_is_named_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_boussole"))
        .args(["migrate"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x")
        .env("BOUSSOLE_LISTEN", "pas-une-adresse")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("BOUSSOLE_LISTEN"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn demo_grows_the_portfolio_to_the_products_asked_with_everything_they_hold(db: PgPool) {
    let (ok, out) = boussole(&db, &["demo", "--products", "100"], "");
    assert!(ok, "{out}");
    assert!(out.contains("70 products added"), "{out}");
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*), count(distinct slug), count(*) filter (where not exists
                  (select 1 from visions v where v.product_id = p.id)),
                (select count(*) from products c where c.slug like 'aide-au-repit-c%')
         from products p",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        counts,
        (100, 100, 0, 3),
        "100 products, each with its vision"
    );
    // A copy holds what its original holds, tied to its own objectives, people and activities.
    let per_product: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "select (select count(*) from indicators i join objectives o on o.id = i.objective_id
                  where i.product_id = p.id and o.product_id = p.id),
                (select count(*) from measurements m join indicators i on i.id = m.indicator_id
                  where i.product_id = p.id),
                (select count(*) from initiatives x join roadmaps r on r.id = x.roadmap_id
                  where r.product_id = p.id),
                (select count(*) from raci_cells c join raci_activities a on a.id = c.activity_id
                  join people pe on pe.id = c.person_id
                  where a.product_id = p.id and pe.product_id = p.id),
                (select count(*) from raci_cells c join raci_activities a on a.id = c.activity_id
                  where a.product_id = p.id)
         from products p where p.slug in ('aide-au-repit', 'aide-au-repit-c2')",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(per_product.len(), 2);
    assert_eq!(per_product[0], per_product[1]);
    let (indicators, measurements, initiatives, cells, all_cells) = per_product[0];
    assert!(indicators > 0 && measurements > 0 && initiatives > 0 && cells > 0);
    assert_eq!(cells, all_cells, "no cell points at another copy's people");
    let (ok, out) = boussole(&db, &["demo", "--products", "100"], "");
    assert!(ok && out.contains("0 products added"), "{out}");
}
