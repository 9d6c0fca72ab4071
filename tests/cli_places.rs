//! Projects and environments on the command line, as a script uses them: `-p`/`-e`/`--shared`,
//! `TRESOR_PROJECT`/`TRESOR_ENV`, `tresor.toml`, `projects`, `envs`, `diff`, `cp`, `mv`, and
//! `run` with the overlay and `from` sources. Every command runs in a folder of its own (the
//! current folder's `tresor.toml` counts).

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};

const PASS: &str = "places on the command line";

/// What `tresor run ARGS -- sh -c 'echo …'` prints for these variables (`-` for unset).
fn run_sees(env: &Env, args: &[&str], vars: &[&str]) -> String {
    let script = vars.iter().map(|v| format!("${{{v}:--}}")).collect::<Vec<_>>().join(" ");
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c"]);
    let echo = format!("echo {script}");
    all.push(&echo);
    env.ok(&all).trim_end().to_owned()
}

/// The issue's worked example: one project, two environments, one shared key, `tresor run`.
fn worked_example() -> Env {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "shop"]);
    env.set(&["-p", "shop", "OPENAI_API_KEY"], "sk-shared");
    env.set(&["-p", "shop", "-e", "development", "DATABASE_URL"], "postgres://localhost/dev");
    env.set(&["-p", "shop", "-e", "production", "DATABASE_URL"], "postgres://db.internal/prod");
    env
}

#[test]
fn run_injects_the_project_level_overlaid_by_the_environment() {
    let env = worked_example();
    let vars = ["OPENAI_API_KEY", "DATABASE_URL"];
    assert_eq!(run_sees(&env, &["-p", "shop", "-e", "production"], &vars), "sk-shared postgres://db.internal/prod");
    assert_eq!(run_sees(&env, &["-p", "shop", "-e", "development"], &vars), "sk-shared postgres://localhost/dev");
    assert_eq!(run_sees(&env, &["-p", "shop"], &vars), "sk-shared -", "the project level alone");
    // An override wins over the shared value, for that environment only.
    env.set(&["-p", "shop", "-e", "production", "OPENAI_API_KEY"], "sk-prod");
    assert_eq!(run_sees(&env, &["-p", "shop", "-e", "production"], &vars[..1]), "sk-prod");
    assert_eq!(run_sees(&env, &["-p", "shop", "-e", "development"], &vars[..1]), "sk-shared");
    // Without any place: the default project, as before.
    assert_eq!(run_sees(&env, &[], &vars), "- -");
}

#[test]
fn flag_then_variable_then_tresor_toml_then_the_default() {
    let env = worked_example();
    let vars = ["DATABASE_URL"];
    env.trusted_folder_file("project = \"shop\"\nenv = \"development\"\n");
    assert_eq!(run_sees(&env, &[], &vars), "postgres://localhost/dev", "tresor.toml names the place");
    let from_var = env.cmd(&["get", "DATABASE_URL"]).env("TRESOR_ENV", "production").output().unwrap();
    assert_eq!(stdout(&from_var), "postgres://db.internal/prod", "the variable beats the file");
    let from_flag =
        env.cmd(&["get", "-e", "development", "DATABASE_URL"]).env("TRESOR_ENV", "production").output().unwrap();
    assert_eq!(stdout(&from_flag), "postgres://localhost/dev", "the flag beats the variable");
    let shared = env.run(&["get", "--shared", "DATABASE_URL"]);
    assert_eq!(code(&shared), 4, "--shared is the project level: {}", stderr(&shared));
    // The file's env goes with the file's project: -p names another project, whose level it is.
    env.set(&["-p", "Personal", "PERSONAL_ONLY"], "p");
    assert_eq!(env.ok(&["get", "-p", "Personal", "PERSONAL_ONLY"]), "p");
    let listed = env.ok(&["list", "-p", "Personal", "--json"]);
    assert!(listed.contains("\"environment\": null"), "{listed}");
    // Another tool's tables (and no [secrets]) do not stop the commands that only need the place.
    env.trusted_folder_file("project = \"shop\"\n[tool.other]\nsetting = 1\n");
    assert_eq!(env.ok(&["get", "OPENAI_API_KEY"]), "sk-shared");
    // A file with a bad place name says which file and why.
    env.folder_file("project = \"no/slash\"\n");
    let bad = env.run(&["list"]);
    assert_eq!(code(&bad), 1);
    assert!(stderr(&bad).contains("tresor.toml") && stderr(&bad).contains("\"/\""), "{}", stderr(&bad));
}

#[test]
fn secret_commands_act_in_the_place_and_inherited_names_are_the_project_levels() {
    let env = worked_example();
    // Reading an inherited name gives the shared value.
    assert_eq!(env.ok(&["get", "-p", "shop", "-e", "development", "OPENAI_API_KEY"]), "sk-shared");
    // Removing it there is refused (not set there: exit 4), pointing at the shared secrets, with
    // the flags beside "remove it from the shared secrets", not beside "override".
    let refused = env.run(&["rm", "-p", "shop", "-e", "development", "OPENAI_API_KEY"]);
    assert_eq!(code(&refused), 4);
    let message = stderr(&refused);
    assert!(message.contains("remove it from the shared secrets (`-p shop --shared`), or set"), "{message}");
    assert!(!message.contains("inherited") && !message.contains("project level"), "one vocabulary: {message}");
    assert_eq!(env.ok(&["get", "-p", "shop", "OPENAI_API_KEY"]), "sk-shared", "nothing was removed");

    // list --json says where every row lives and where it comes from.
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "-p", "shop", "-e", "production", "--json"])).unwrap();
    let rows: Vec<(String, String, String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["project"].as_str().unwrap().to_owned(),
                r["environment"].as_str().unwrap_or("(shared)").to_owned(),
                r["origin"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("DATABASE_URL".into(), "shop".into(), "production".into(), "own".into()),
            ("OPENAI_API_KEY".into(), "shop".into(), "(shared)".into(), "inherited".into()),
        ]
    );
    // The JSON's `origin` keeps its values (an interface); the table speaks the app's words.
    let text = env.ok(&["list", "-p", "shop", "-e", "production"]);
    assert!(text.contains("FROM") && text.contains("shared") && !text.contains("inherited"), "{text}");
    // Values never appear in listings.
    assert!(!text.contains("sk-shared") && !text.contains("postgres"), "{text}");

    let history: serde_json::Value =
        serde_json::from_str(&env.ok(&["history", "-p", "shop", "-e", "production", "DATABASE_URL", "--json"]))
            .unwrap();
    assert_eq!(
        (history[0]["project"].as_str(), history[0]["environment"].as_str()),
        (Some("shop"), Some("production"))
    );
    // The default place is the old flat list: existing scripts see what they saw.
    env.set(&["LEGACY_KEY"], "legacy");
    let default: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"])).unwrap();
    assert_eq!(default[0]["name"], "LEGACY_KEY");
    assert_eq!(default[0]["project"], "Personal");
    assert!(default[0]["environment"].is_null());
    assert_eq!(env.ok(&["get", "LEGACY_KEY"]), "legacy");
}

#[test]
fn projects_and_environments_are_created_renamed_ordered_deleted_and_restored() {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "docs bot"]);
    let projects: serde_json::Value = serde_json::from_str(&env.ok(&["projects", "--json"])).unwrap();
    assert_eq!(projects[0]["name"], "Personal");
    assert_eq!(projects[0]["default"], true);
    assert_eq!(projects[1]["name"], "docs bot");
    assert_eq!(projects[1]["environments"].as_array().unwrap().len(), 3);

    let taken = env.run(&["projects", "create", "DOCS BOT"]);
    assert_eq!(code(&taken), 6, "{}", stderr(&taken));
    let slash = env.run(&["projects", "create", "a/b"]);
    assert_eq!(code(&slash), 6, "{}", stderr(&slash));
    let unknown = env.run(&["list", "-p", "nope"]);
    assert_eq!(code(&unknown), 4);
    assert!(stderr(&unknown).contains("Personal, docs bot"), "{}", stderr(&unknown));

    env.ok(&["envs", "-p", "docs bot", "create", "qa"]);
    env.ok(&["envs", "-p", "docs bot", "rename", "qa", "preview"]);
    env.ok(&["envs", "-p", "docs bot", "order", "preview", "production", "staging", "development"]);
    let envs: serde_json::Value = serde_json::from_str(&env.ok(&["envs", "-p", "docs bot", "--json"])).unwrap();
    let names: Vec<&str> = envs.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["preview", "production", "staging", "development"]);

    env.set(&["-p", "docs bot", "-e", "preview", "PREVIEW_TOKEN"], "t");
    env.ok(&["envs", "-p", "docs bot", "rm", "preview"]);
    assert_eq!(code(&env.run(&["get", "-p", "docs bot", "-e", "preview", "PREVIEW_TOKEN"])), 4);
    let trash = env.run(&["trash"]);
    assert!(stderr(&trash).contains("environment docs bot/preview"), "{}", stderr(&trash));
    env.ok(&["envs", "-p", "docs bot", "restore", "preview"]);
    assert_eq!(env.ok(&["get", "-p", "docs bot", "-e", "preview", "PREVIEW_TOKEN"]), "t");

    env.ok(&["projects", "rename", "docs bot", "docs"]);
    env.ok(&["projects", "rm", "docs"]);
    assert_eq!(code(&env.run(&["list", "-p", "docs"])), 4);
    env.ok(&["projects", "restore", "docs"]);
    assert_eq!(env.ok(&["get", "-p", "docs", "-e", "preview", "PREVIEW_TOKEN"]), "t");
    let default = env.run(&["projects", "rm", "Personal"]);
    assert_eq!(code(&default), 1);
    assert!(stderr(&default).contains("default project"), "{}", stderr(&default));
}

#[test]
fn diff_names_what_differs_never_values_and_exit_code_is_opt_in() {
    let env = worked_example();
    env.set(&["-p", "shop", "-e", "staging", "DATABASE_URL"], "postgres://db.internal/prod");
    let same = env.run(&["diff", "-p", "shop", "staging", "production", "--exit-code"]);
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    let differs = env.run(&["diff", "-p", "shop", "development", "production"]);
    assert_eq!(code(&differs), 0, "without --exit-code, a difference is not a failure");
    assert!(stdout(&differs).contains("DATABASE_URL") && stdout(&differs).contains("different values"));
    env.set(&["-p", "shop", "-e", "production", "SENTRY_DSN"], "https://sentry");
    let out = env.run(&["diff", "-p", "shop", "development", "production", "--exit-code"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("SENTRY_DSN") && text.contains("missing in development"), "{text}");
    assert!(!text.contains("OPENAI_API_KEY"), "the same shared value is not a difference: {text}");
    for value in ["postgres", "sentry", "sk-shared"] {
        assert!(!text.contains(value) && !stderr(&out).contains(value), "{value} leaked: {text}");
    }
}

#[test]
fn cp_fills_a_gap_and_mv_carries_the_history() {
    let env = worked_example();
    env.set(&["-p", "shop", "-e", "development", "DATABASE_URL"], "postgres://localhost/dev2");
    env.ok(&["cp", "-p", "shop", "-e", "development", "DATABASE_URL", "shop/staging"]);
    assert_eq!(env.ok(&["get", "-p", "shop", "-e", "staging", "DATABASE_URL"]), "postgres://localhost/dev2");
    let again = env.run(&["cp", "-p", "shop", "-e", "development", "DATABASE_URL", "shop/production"]);
    assert_eq!(code(&again), 6);
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    env.ok(&["cp", "-p", "shop", "-e", "development", "DATABASE_URL", "shop/production", "--force"]);
    assert_eq!(env.ok(&["get", "-p", "shop", "-e", "production", "DATABASE_URL"]), "postgres://localhost/dev2");
    assert_eq!(
        env.ok(&["get", "-p", "shop", "-e", "production", "DATABASE_URL", "--version", "1"]),
        "postgres://db.internal/prod",
        "the replaced value is in the history"
    );

    env.ok(&["projects", "create", "other"]);
    env.ok(&["mv", "-p", "shop", "-e", "development", "DATABASE_URL", "other"]);
    assert_eq!(env.ok(&["get", "-p", "other", "DATABASE_URL", "--version", "1"]), "postgres://localhost/dev");
    assert_eq!(code(&env.run(&["get", "-p", "shop", "-e", "development", "DATABASE_URL"])), 4);
}

#[test]
fn a_profile_takes_values_from_other_places_and_a_missing_source_stops_the_run() {
    let env = worked_example();
    env.set(&["PG_URL"], "postgres://personal");
    env.trusted_folder_file(
        "project = \"shop\"\nenv = \"production\"\n[secrets]\nOPENAI_API_KEY = {}\n\
         DATABASE_URL = { from = \"Personal/PG_URL\" }\nPROD_DB = { from = \"shop/production/DATABASE_URL\" }\n",
    );
    assert_eq!(
        run_sees(&env, &[], &["OPENAI_API_KEY", "DATABASE_URL", "PROD_DB", "PG_URL"]),
        "sk-shared postgres://personal postgres://db.internal/prod -"
    );
    // A source's project that does not exist stops the run even for an optional secret.
    env.trusted_folder_file("[secrets]\nX = { from = \"shp/staging/DATABASE_URL\", required = false }\n");
    let typo = env.run(&["run", "--", "true"]);
    assert_eq!(code(&typo), 4, "{}", stderr(&typo));
    assert!(stderr(&typo).contains("no project named \"shp\""), "{}", stderr(&typo));
    env.trusted_folder_file("[secrets]\nDATABASE_URL = { from = \"shop/staging/DATABASE_URL\" }\n");
    let marker = env.work().join("started");
    let out = env.run(&["run", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("DATABASE_URL (from shop/staging/DATABASE_URL)"), "{}", stderr(&out));
    assert!(!marker.exists(), "the program was not started");
}

#[test]
fn a_streamlit_secrets_toml_imports_each_section_into_its_environment() {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "shop"]);
    let file = env.work().join("secrets.toml");
    std::fs::write(
        &file,
        "OPENAI_API_KEY = \"sk-shared\"\n[production]\nDATABASE_URL = \"postgres://prod\"\n\
         [staging]\nDATABASE_URL = \"postgres://staging\"\n[reporting]\nREPORTS_TOKEN = \"r\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    // A section with no environment of its name: refused, nothing written, the way out named.
    let refused = env.run(&["import", "-p", "shop", file, "--sections"]);
    assert_eq!(code(&refused), 4, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("section [reporting]") && stderr(&refused).contains("--section"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(code(&env.run(&["get", "-p", "shop", "OPENAI_API_KEY"])), 4, "nothing was imported");

    // Mapped elsewhere, it goes there; the plan names every place first.
    let out = env.run(&["import", "-p", "shop", file, "--sections", "--section", "reporting=Personal"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = stdout(&out);
    for place in ["Into shop (", "Into shop/production (", "Into shop/staging (", "Into Personal ("] {
        assert!(plan.contains(place), "{place} in {plan}");
    }
    assert!(!plan.contains("postgres"), "no value in the plan: {plan}");
    assert_eq!(env.ok(&["get", "-p", "shop", "OPENAI_API_KEY"]), "sk-shared");
    assert_eq!(env.ok(&["get", "-p", "shop", "-e", "production", "DATABASE_URL"]), "postgres://prod");
    assert_eq!(env.ok(&["get", "-p", "shop", "-e", "staging", "DATABASE_URL"]), "postgres://staging");
    assert_eq!(env.ok(&["get", "REPORTS_TOKEN"]), "r");
    // Production's run sees the shared key and its own database.
    assert_eq!(
        run_sees(&env, &["-p", "shop", "-e", "production"], &["OPENAI_API_KEY", "DATABASE_URL"]),
        "sk-shared postgres://prod"
    );
}
