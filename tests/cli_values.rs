//! Values that come from somewhere other than a keyboard: `tresor set NAME --from-file PATH` (a
//! file's exact text) and `tresor set NAME --generate` (the operating system's CSPRNG). Neither
//! puts a value on the command line.

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};

const PASS: &str = "correct horse battery staple";

#[test]
fn from_file_stores_the_files_exact_text() {
    let env = Env::new(PASS);
    // CRLF, a PEM's layout, no trailing newline after the last CRLF line, non-ASCII text.
    let text = "-----BEGIN PRIVATE KEY-----\r\nMIIBVQ==\r\n-----END PRIVATE KEY-----\r\nü\n  trailing  ";
    let path = env.file("key.pem", text);
    let out = env.run(&["set", "TLS_KEY", "--from-file", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Created TLS_KEY (version 1)"), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: the value ends with whitespace"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert_eq!(env.run(&["get", "TLS_KEY"]).stdout, text.as_bytes());

    // A second file is a new version of the same secret.
    let json = env.file("sa.json", "{\n  \"type\": \"service_account\"\n}\n");
    env.ok(&["set", "TLS_KEY", "--from-file", json.to_str().unwrap()]);
    assert_eq!(env.run(&["get", "TLS_KEY"]).stdout, std::fs::read(&json).unwrap());
    assert_eq!(env.run(&["get", "TLS_KEY", "--version", "1"]).stdout, text.as_bytes());
}

#[test]
fn from_file_ignores_stdin() {
    let env = Env::new(PASS);
    let path = env.file("v", "from the file");
    let out = env.run_with_stdin(&["set", "K", "--from-file", path.to_str().unwrap()], b"from stdin");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.run(&["get", "K"]).stdout, b"from the file");
}

#[test]
fn a_binary_file_is_refused_with_a_base64_hint_and_nothing_is_written() {
    let env = Env::new(PASS);
    let path = env.dir.path().join("cert.der");
    std::fs::write(&path, [0x30, 0x82, 0x01, 0xff, 0xc3, 0x28]).unwrap();
    let out = env.run(&["set", "CERT", "--from-file", path.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("tresor: "), "{err}");
    assert!(err.contains("is not UTF-8 text (the first byte that is not: offset 1)"), "{err}");
    assert!(err.contains("base64"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(code(&env.run(&["get", "CERT"])), 4, "nothing was written");
}

#[test]
fn a_file_of_4_mib_is_taken_and_one_byte_more_is_refused() {
    let env = Env::new(PASS);
    let limit = tresor::vault::secret::MAX_VALUE_BYTES;
    assert_eq!(limit, 4 * 1024 * 1024);
    let path = env.dir.path().join("big");
    std::fs::write(&path, "a".repeat(limit)).unwrap();
    env.ok(&["set", "BIG", "--from-file", path.to_str().unwrap()]);
    assert_eq!(env.run(&["get", "BIG"]).stdout.len(), limit);

    std::fs::write(&path, "b".repeat(limit + 1)).unwrap();
    let out = env.run(&["set", "BIG", "--from-file", path.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("is larger than 4194304 bytes (4 MiB)"), "{}", stderr(&out));
    assert_eq!(env.run(&["get", "BIG"]).stdout, "a".repeat(limit).as_bytes(), "the old value stays");
    assert_eq!(env.run(&["history", "BIG", "--json"]).stdout.iter().filter(|&&b| b == b'{').count(), 1);
}

#[test]
fn empty_missing_and_folder_paths_are_refused_before_unlocking() {
    let env = Env::new(PASS);
    let empty = env.file("empty", "");
    let missing = env.dir.path().join("missing");
    for (path, says) in [
        (empty.as_path(), "is empty; a value is required"),
        (missing.as_path(), "cannot read"),
        (env.dir.path(), "is a folder, not a file"),
    ] {
        // A wrong passphrase file: refusing the file must not need the vault.
        let out = env
            .cmd(&["set", "K", "--from-file", path.to_str().unwrap()])
            .env("TRESOR_PASSPHRASE_FILE", "/nonexistent")
            .output()
            .unwrap();
        assert_eq!(code(&out), 1, "{path:?}");
        assert!(stderr(&out).contains(says), "{path:?}: {}", stderr(&out));
    }
    assert_eq!(code(&env.run(&["set", "K", "--from-file", "x", "--generate"])), 2, "one source of value");
}

#[test]
fn generate_prints_nothing_unless_asked_and_stores_a_fresh_value() {
    let env = Env::new(PASS);
    let out = env.run(&["set", "SESSION_SECRET", "--generate"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing on stdout without --print");
    let first = stdout(&env.run(&["get", "SESSION_SECRET"]));
    assert_eq!(first.len(), 32);
    assert!(first.chars().all(|c| c.is_ascii_alphanumeric()), "{first}");
    assert!(!stderr(&out).contains(&first), "the value is never in a message");

    // Again: a new version with another value (a rotation), printed only with --print.
    let out = env.run(&["set", "SESSION_SECRET", "--generate", "--print"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("now version 2"), "{}", stderr(&out));
    let second = stdout(&env.run(&["get", "SESSION_SECRET"]));
    assert_eq!(stdout(&out), second, "--print prints the value stored (no newline into a pipe)");
    assert_ne!(first, second);
}

#[test]
fn generate_kinds_and_lengths() {
    let env = Env::new(PASS);
    type Case = (&'static str, &'static str, usize, fn(char) -> bool);
    let cases: [Case; 4] = [
        ("A", "hex", 64, |c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        ("B", "base64url", 43, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        ("C", "symbols", 20, |c| c.is_ascii_graphic() && !"\"'`\\$".contains(c)),
        ("D", "letters-digits", 8, |c| c.is_ascii_alphanumeric()),
    ];
    for (name, kind, length, allowed) in cases {
        let len = length.to_string();
        env.ok(&["set", name, "--generate", "--kind", kind, "--length", &len]);
        let value = stdout(&env.run(&["get", name]));
        assert_eq!(value.len(), length, "{kind}");
        assert!(value.chars().all(allowed), "{kind}: {value}");
    }
    let short = env.run(&["set", "E", "--generate", "--length", "7"]);
    assert_eq!(code(&short), 2, "a usage error");
    assert!(stderr(&short).contains("8 to 4096 characters long, not 7"), "{}", stderr(&short));
    assert_eq!(code(&env.run(&["set", "E", "--length", "20"])), 2, "--length needs --generate");
    assert_eq!(code(&env.run(&["get", "E"])), 4);
}

/// `tresor inject`: a template's references filled from their places; everything else kept byte
/// for byte, other templates' braces too.
#[test]
fn inject_fills_each_reference_from_its_place_and_keeps_every_other_byte() {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "shop"]);
    env.set(&["-p", "shop", "OPENAI_API_KEY"], "sk-shared");
    env.set(&["-p", "shop", "-e", "production", "DATABASE_URL"], "postgres://db.internal/prod");
    env.set(&["-p", "shop", "-e", "staging", "DATABASE_URL"], "postgres://db.internal/staging");
    let template = "db: {{ tresor://DATABASE_URL }}\r\n\
                    staging: {{tresor://shop/staging/DATABASE_URL}}\r\n\
                    key: {{\ttresor://shop/OPENAI_API_KEY }} again {{ tresor://OPENAI_API_KEY }}\n\
                    helm: {{ .Values.key }} actions: ${{ secrets.TOKEN }}";
    let path = env.file("config.yml.tpl", template);
    let out = env.run(&["-p", "shop", "-e", "production", "inject", "-i", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "db: postgres://db.internal/prod\r\nstaging: postgres://db.internal/staging\r\n\
         key: sk-shared again sk-shared\nhelm: {{ .Values.key }} actions: ${{ secrets.TOKEN }}"
    );

    // From stdin, into a new file readable by its owner only; an existing file only with --force.
    let target = env.work().join("config.yml");
    let out = env.run_with_stdin(
        &["-p", "shop", "-e", "staging", "inject", "-i", "-", "-o", "config.yml"],
        b"DATABASE_URL={{ tresor://DATABASE_URL }}\n",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Filled 1 reference into config.yml"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "DATABASE_URL=postgres://db.internal/staging\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    let again =
        env.run(&["-p", "shop", "-e", "production", "inject", "-i", path.to_str().unwrap(), "-o", "config.yml"]);
    assert_ne!(code(&again), 0);
    assert!(stderr(&again).contains("already exists; pass --force"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "DATABASE_URL=postgres://db.internal/staging\n");
    env.ok(&["-p", "shop", "-e", "production", "inject", "-i", path.to_str().unwrap(), "-o", "config.yml", "--force"]);
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("db: postgres://db.internal/prod\r\n"));
}

/// A reference that does not resolve, or cannot be read, stops everything with its line and
/// column: no file is written, and no value is printed.
#[test]
fn inject_stops_at_the_first_reference_that_does_not_resolve_and_writes_nothing() {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "shop"]);
    env.set(&["-p", "shop", "OPENAI_API_KEY"], "sk-shared");
    let path = env.file("t", "a={{ tresor://shop/OPENAI_API_KEY }}\nb=x {{ tresor://shop/production/MISSING_KEY }}\n");
    let out = env.run(&["inject", "-i", path.to_str().unwrap(), "-o", "out.env"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 2, column 5: {{ tresor://shop/production/MISSING_KEY }} does not resolve"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert!(!env.work().join("out.env").exists());
    assert!(stdout(&out).is_empty() && !stderr(&out).contains("sk-shared"));

    let bad = env.file("bad", "ok\n  {{ tresor://my-key }}\n");
    let out = env.run(&["inject", "-i", bad.to_str().unwrap()]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("line 2, column 3"), "{}", stderr(&out));
    assert!(stderr(&out).contains("MY_KEY"), "the name check's suggestion: {}", stderr(&out));

    // The vault file is never an output, nor a template, nor a value; a FIFO as the output does
    // not block the check.
    let good = env.file("good", "a={{ tresor://shop/OPENAI_API_KEY }}\n");
    let before = std::fs::read(&env.vault).unwrap();
    let vault = env.vault.to_str().unwrap();
    let out = env.run(&["inject", "-i", good.to_str().unwrap(), "-o", vault, "--force"]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("is a Tresor vault"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&env.vault).unwrap(), before, "the vault is untouched");
    let out = env.run(&["inject", "-i", vault]);
    assert!(stderr(&out).contains("is a vault file, not a template"), "{}", stderr(&out));
    let out = env.run(&["set", "K", "--from-file", vault]);
    assert!(stderr(&out).contains("is a vault file"), "{}", stderr(&out));
    let link = env.work().join("link.db");
    std::os::unix::fs::symlink(&env.vault, &link).unwrap();
    let out = env.run(&["inject", "-i", good.to_str().unwrap(), "-o", link.to_str().unwrap(), "--force"]);
    assert!(stderr(&out).contains("is a Tresor vault"), "through a link: {}", stderr(&out));
    let fifo = env.work().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = env.run(&["inject", "-i", good.to_str().unwrap(), "-o", fifo.to_str().unwrap()]);
    assert!(stderr(&out).contains("already exists"), "refused at once, not blocked: {}", stderr(&out));
    env.ok(&["list"]);
}

/// `inject` against Python's own string handling as the oracle: random templates (CRLF, bytes
/// that are not UTF-8, other templates' braces, references with blanks or without) filled by the
/// binary and by `re.sub` over bytes; values holding braces or a reference are not expanded again.
#[test]
fn inject_matches_pythons_substitution_on_random_templates() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI has python3");
        return;
    }
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "shop"]);
    let values = [
        ("tresor://shop/production/DATABASE_URL", "postgres://db/prod\r\nsecond line"),
        ("tresor://shop/OPENAI_API_KEY", "sk-{{ tresor://shop/OPENAI_API_KEY }}-}}"),
        ("tresor://HERE_KEY", "ünïcode ✓ $HOME `x`"),
    ];
    env.set(&["-p", "shop", "-e", "production", "DATABASE_URL"], values[0].1);
    env.set(&["-p", "shop", "OPENAI_API_KEY"], values[1].1);
    env.set(&["-p", "shop", "-e", "staging", "HERE_KEY"], values[2].1);
    let map: serde_json::Value = values.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    let oracle = "import re,sys,json\nm=json.loads(sys.argv[2])\nd=open(sys.argv[1],'rb').read()\n\
                  out=re.sub(rb'\\{\\{[ \\t]*(tresor://[^ \\t}\\r\\n]+)[ \\t]*\\}\\}', lambda g: m[g.group(1).decode()].encode(), d)\n\
                  sys.stdout.buffer.write(out)\n";
    let texts: [&[u8]; 9] =
        [b"plain ", b"\r\n", b"\xff\xfe", b"{ not } ", b"{{ .Values.x }}", b"${{ secrets.T }}", b"}}", b"\n", b"{"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..12 {
        let mut template = Vec::new();
        for _ in 0..20 {
            if next(3) == 0 {
                let blank = |k: usize| [&b""[..], b" ", b"\t", b"  "][k];
                template.extend_from_slice(b"{{");
                template.extend_from_slice(blank(next(4)));
                template.extend_from_slice(values[next(3)].0.as_bytes());
                template.extend_from_slice(blank(next(4)));
                template.extend_from_slice(b"}}");
            } else {
                template.extend_from_slice(texts[next(texts.len())]);
            }
        }
        let path = env.work().join(format!("t{round}"));
        std::fs::write(&path, &template).unwrap();
        let expected = std::process::Command::new("python3")
            .args(["-c", oracle])
            .arg(&path)
            .arg(map.to_string())
            .output()
            .unwrap();
        assert!(expected.status.success(), "{}", String::from_utf8_lossy(&expected.stderr));
        let out = env.run(&["-p", "shop", "-e", "staging", "inject", "-i", path.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(out.stdout, expected.stdout, "round {round}: {:?}", String::from_utf8_lossy(&template));
    }
}
