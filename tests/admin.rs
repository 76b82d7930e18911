//! Administration of accounts, and who may reach it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use common::{PASSWORD, TestApp, create_user};
use sqlx::PgPool;

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn readers_and_editors_get_the_forbidden_page_on_admin_routes(db: PgPool) {
    let app = TestApp::new(db);
    let target = create_user(&app.db, Role::Reader, "Cible").await;
    for role in [Role::Reader, Role::Editor] {
        let (mut client, _) = app.signed_in(role).await;
        for page in [
            client.get("/admin/utilisateurs").await,
            client.get("/admin/utilisateurs/nouveau").await,
            client
                .post(
                    "/admin/utilisateurs",
                    &[
                        ("email", "x@test.gouv.fr"),
                        ("display_name", "X"),
                        ("role", "admin"),
                        ("password", PASSWORD),
                    ],
                )
                .await,
            client
                .post(
                    &format!("/admin/utilisateurs/{}/role", target.id),
                    &[("role", "admin")],
                )
                .await,
            client
                .post(
                    &format!("/admin/utilisateurs/{}/desactiver", target.id),
                    &[],
                )
                .await,
        ] {
            assert_eq!(page.status, StatusCode::FORBIDDEN);
            assert_eq!(page.text("h1"), "Accès refusé");
        }
        assert!(!client.get("/").await.text("nav").contains("Administration"));
    }
    let roles: Vec<String> = sqlx::query_scalar("select role from users where id = $1")
        .bind(target.id)
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(roles, ["reader"], "nothing was changed");
    let count: i64 =
        sqlx::query_scalar("select count(*) from users where email = 'x@test.gouv.fr'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_admin_creates_an_account_that_can_then_sign_in(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    assert!(admin.get("/").await.text("nav").contains("Administration"));

    let form = admin.get("/admin/utilisateurs/nouveau").await;
    assert_eq!(form.status, StatusCode::OK);
    let created = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", "sophie.bernard@sg.social.gouv.fr"),
                ("display_name", "Sophie Bernard"),
                ("role", "reader"),
                ("password", "une phrase assez longue"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let list = admin.get("/admin/utilisateurs").await;
    assert!(
        list.text(".fr-alert")
            .contains("Le compte de Sophie Bernard a été créé.")
    );
    let row = list
        .texts("tbody tr")
        .into_iter()
        .find(|r| r.contains("Sophie Bernard"))
        .unwrap();
    assert!(row.contains("sophie.bernard@sg.social.gouv.fr") && row.contains("Actif"));

    let mut sophie = app.client();
    assert_eq!(
        sophie
            .login(
                "Sophie.Bernard@sg.social.gouv.fr",
                "une phrase assez longue"
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sophie.get("/admin/utilisateurs").await.status,
        StatusCode::FORBIDDEN,
        "created as a reader"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_wrong_account_form_comes_back_with_messages_and_what_was_typed(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, me) = app.signed_in(Role::Admin).await;

    let page = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", "pas-une-adresse"),
                ("display_name", "  "),
                ("role", "superuser"),
                ("password", "court"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("title").starts_with("Erreur"));
    assert!(
        page.text("#email-erreur")
            .starts_with("Saisissez une adresse électronique valide")
    );
    assert_eq!(
        page.text("#display_name-erreur"),
        "Saisissez le nom de la personne."
    );
    assert_eq!(
        page.text("#role-erreur"),
        "Choisissez un rôle dans la liste."
    );
    assert_eq!(
        page.text("#password-erreur"),
        "Le mot de passe doit compter au moins 12 caractères."
    );
    assert!(page.text(".fr-alert--error h2").contains("4 erreurs"));
    let html = page.html();
    let email = html
        .select(&scraper::Selector::parse("#email").unwrap())
        .next()
        .unwrap();
    assert_eq!(email.value().attr("value"), Some("pas-une-adresse"));

    // The same email in another case is taken.
    let taken = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", &me.email.to_uppercase()),
                ("display_name", "Doublon"),
                ("role", "editor"),
                ("password", "une phrase assez longue"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        taken.text("#email-erreur"),
        "Un compte existe déjà avec cette adresse électronique."
    );
    let html = taken.html();
    let name = html
        .select(&scraper::Selector::parse("#display_name").unwrap())
        .next()
        .unwrap();
    assert_eq!(name.value().attr("value"), Some("Doublon"));
    let count: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing was saved");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_admin_changes_roles_but_not_their_own(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, me) = app.signed_in(Role::Admin).await;
    let editor = create_user(&app.db, Role::Editor, "Paul Durand").await;

    admin
        .post(
            &format!("/admin/utilisateurs/{}/role", editor.id),
            &[("role", "reader")],
        )
        .await;
    let list = admin.get("/admin/utilisateurs").await;
    assert!(
        list.text(".fr-alert")
            .contains("Rôle changé en « Lecteur »")
    );

    let own = admin
        .post(
            &format!("/admin/utilisateurs/{}/role", me.id),
            &[("role", "reader")],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    let list = admin.get("/admin/utilisateurs").await;
    assert!(
        list.text(".fr-alert")
            .contains("Vous ne pouvez pas changer votre propre rôle.")
    );
    assert_eq!(
        admin.get("/admin/utilisateurs").await.status,
        StatusCode::OK,
        "still an admin"
    );

    let bad = admin
        .post(
            &format!("/admin/utilisateurs/{}/role", editor.id),
            &[("role", "dieu")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown = admin
        .post(
            &format!("/admin/utilisateurs/{}/role", uuid::Uuid::new_v4()),
            &[("role", "reader")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let garbage = admin
        .post("/admin/utilisateurs/pas-un-id/role", &[("role", "reader")])
        .await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_admin_renames_reorders_and_extends_the_phases(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get("/admin/phases").await;
    assert_eq!(page.status, StatusCode::OK);
    let names = |page: &common::Page| {
        let html = page.html();
        html.select(&scraper::Selector::parse("tbody input[name=name]").unwrap())
            .map(|i| i.value().attr("value").unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&page),
        [
            "Idée",
            "POC",
            "MVP",
            "Construction",
            "Généralisation",
            "Arrêt"
        ]
    );

    let build: uuid::Uuid = sqlx::query_scalar("select id from phases where name = 'Construction'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let renamed = admin
        .post(
            &format!("/admin/phases/{build}/renommer"),
            &[("name", "Passage à l’échelle")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    admin
        .post(&format!("/admin/phases/{build}/monter"), &[])
        .await;
    admin
        .post(
            "/admin/phases",
            &[("name", "Maintenance"), ("optional", "on")],
        )
        .await;
    let page = admin.get("/admin/phases").await;
    assert_eq!(
        names(&page),
        [
            "Idée",
            "POC",
            "Passage à l’échelle",
            "MVP",
            "Généralisation",
            "Arrêt",
            "Maintenance"
        ]
    );

    let mvp: uuid::Uuid = sqlx::query_scalar("select id from phases where name = 'MVP'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let taken = admin
        .post(
            &format!("/admin/phases/{mvp}/renommer"),
            &[("name", "Idée")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        taken.text(&format!("#erreur-{mvp}")),
        "Ce nom est déjà pris par une autre phase de la liste."
    );
    let empty = admin.post("/admin/directions", &[("name", "   ")]).await;
    assert_eq!(empty.text("#erreur-nouveau"), "Saisissez un nom.");
    assert_eq!(
        admin.get("/admin/inconnue").await.status,
        StatusCode::NOT_FOUND
    );

    let (mut editor, _) = app.signed_in(Role::Editor).await;
    assert_eq!(
        editor.get("/admin/phases").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor
            .post("/admin/directions", &[("name", "Pirate")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor
            .post(
                &format!("/admin/phases/{mvp}/renommer"),
                &[("name", "Pirate")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
