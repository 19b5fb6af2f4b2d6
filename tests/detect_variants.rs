//! Detector behaviour on less common but valid spellings of known
//! credentials: JSON laid out over several lines, other shell syntaxes,
//! other quoting styles, other encodings of line breaks, and passwords
//! inside URLs, connection strings and tool options in source code.

use std::sync::OnceLock;

use bstr::BStr;
use tightlip::detect::{BlobScan, Detector, DetectorOptions};
use tightlip::finding::MatchKind;

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR
        .get_or_init(|| Detector::new(DetectorOptions::default()).expect("built-in rules build"))
}

/// Returns (rule id, line) of every content match, in line order.
fn content(path: &str, data: &str) -> Vec<(String, u32)> {
    let mut matches = match detector().scan(BStr::new(path), data.as_bytes()) {
        BlobScan::Scanned(matches) => matches,
        BlobScan::Skipped(reason) => panic!("{path} skipped: {reason}"),
    };
    matches.retain(|m| m.kind == MatchKind::Content);
    matches.sort_by_key(|m| (m.line, m.column));
    matches
        .into_iter()
        .map(|m| (m.rule_id.to_string(), m.line))
        .collect()
}

fn one(rule: &str, line: u32) -> Vec<(String, u32)> {
    vec![(rule.to_string(), line)]
}

#[test]
fn dj_config_newline_before_colon() {
    let data = "{\n    \"database.host\": \"db.example.net\",\n    \"database.password\"\n        : \"abc123\"\n}\n";
    let found = content("dj_local_conf.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_newline_after_colon() {
    let data = "{\n    \"database.host\": \"db.example.net\",\n    \"database.password\":\n        \"abc124\"\n}\n";
    let found = content("dj_local_conf.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_nested_value_next_line() {
    let data = "{\n  \"loglevel\": \"INFO\",\n  \"database\": {\n    \"password\":\n      \"Nested-Split-77\",\n    \"host\": \"db.example.org\"\n  }\n}\n";
    let found = content("datajoint.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_nested_key_newline_before_colon() {
    let data = "{\n  \"database\"\n  : {\n    \"password\"\n    : \"Nested-Split-78\"\n  }\n}\n";
    let found = content("datajoint.json", data);
    assert_eq!(found, one("datajoint.config-password", 5));
}

/// Asserts that `assignment`, as line 2 of `path` after `comment`, gives
/// exactly one content match, on line 2.
fn assert_line_two(path: &str, comment: &str, assignment: &str) {
    let found = content(path, &format!("{comment}\n{assignment}\n"));
    let lines: Vec<u32> = found.iter().map(|(_, line)| *line).collect();
    assert_eq!(lines, vec![2], "{assignment:?}: {found:?}");
}

#[test]
fn joined_name_pgpassword_export() {
    assert_line_two(
        "scripts/db.sh",
        "#!/bin/sh",
        "export PGPASSWORD=Lk3Jh6Gf9Ds2Ap5Oi8Uy",
    );
}

#[test]
fn joined_name_pgpassword_command_prefix() {
    assert_line_two(
        "scripts/psql.sh",
        "#!/bin/sh",
        "PGPASSWORD=Lk3Jh6Gf9Ds2Ap5Oi8Uy psql -h db.example.org -U app",
    );
}

#[test]
fn joined_name_lowercase() {
    assert_line_two(
        "app/db.py",
        "# settings",
        "dbpassword = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
    );
    assert_line_two(
        "app/db.py",
        "# settings",
        "DBPASSWORD=\"Hq3Wr6Ty9Ui2Op5As8Df\"",
    );
    assert_line_two(
        "app/db.py",
        "# settings",
        "mypassword = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
    );
}

#[test]
fn joined_name_other_endings() {
    assert_line_two(
        "scripts/db.sh",
        "#!/bin/sh",
        "export MYSQL_PWD=Lk3Jh6Gf9Ds2Ap5Oi8Uy",
    );
    assert_line_two("app.env.sh", "#!/bin/sh", "APITOKEN=Lk3Jh6Gf9Ds2Ap5Oi8Uy");
    assert_line_two(
        "conf/app.ini",
        "; app",
        "clientsecret = Lk3Jh6Gf9Ds2Ap5Oi8Uy",
    );
    assert_line_two("conf/app.ini", "; app", "smtppasswd = Lk3Jh6Gf9Ds2Ap5Oi8Uy");
    assert_line_two(
        "conf/app.ini",
        "; app",
        "stripeapikey = Lk3Jh6Gf9Ds2Ap5Oi8Uy",
    );
    assert_line_two(
        "conf/app.ini",
        "; app",
        "AWSSECRETKEY = Lk3Jh6Gf9Ds2Ap5Oi8Uy",
    );
}

#[test]
fn joined_name_ordinary_words_ignored() {
    for line in [
        "compass = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "passwordless = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "tokenizer = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "bypass = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "monkey = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "turnkey = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
        "renderpass = \"Hq3Wr6Ty9Ui2Op5As8Df\"",
    ] {
        let found = content("app/settings.py", line);
        assert_eq!(found, vec![], "{line:?}");
    }
}

const KEY_LINE_1: &str = "UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX";
const KEY_LINE_2: &str = "wEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i";

/// Returns the fingerprint of every content match.
fn fingerprints(path: &str, data: &str) -> Vec<String> {
    match detector().scan(BStr::new(path), data.as_bytes()) {
        BlobScan::Scanned(matches) => matches
            .iter()
            .filter(|m| m.kind == MatchKind::Content)
            .map(|m| m.fingerprint.clone())
            .collect(),
        BlobScan::Skipped(reason) => panic!("{path} skipped: {reason}"),
    }
}

#[test]
fn pem_commented_out_each_prefix() {
    for (path, prefix) in [
        ("deploy/setup.sh", "# "),
        ("src/keys.ts", "// "),
        ("db/seed.sql", "-- "),
        ("conf/app.ini", "; "),
        ("src/keys.c", " * "),
        ("scripts/setup.m", "% "),
    ] {
        let data = format!(
            "first line\n{prefix}-----BEGIN RSA PRIVATE KEY-----\n{prefix}{KEY_LINE_1}\n\
             {prefix}{KEY_LINE_2}\n{prefix}-----END RSA PRIVATE KEY-----\n"
        );
        assert_eq!(
            content(path, &data),
            one("private-key.block", 2),
            "prefix {prefix:?}"
        );
    }
}

#[test]
fn pem_commented_out_same_fingerprint() {
    let plain = format!(
        "-----BEGIN EC PRIVATE KEY-----\n{KEY_LINE_1}\n{KEY_LINE_2}\n-----END EC PRIVATE KEY-----\n"
    );
    let commented = format!(
        "// -----BEGIN EC PRIVATE KEY-----\n// {KEY_LINE_1}\n// {KEY_LINE_2}\n// -----END EC PRIVATE KEY-----\n"
    );
    let plain_prints = fingerprints("a.txt", &plain);
    assert_eq!(plain_prints.len(), 1);
    assert_eq!(fingerprints("src/keys.ts", &commented), plain_prints);
}

#[test]
fn pem_in_xml_character_references() {
    for newline in ["&#10;", "&#xA;", "&#13;&#10;", "&#xd;&#xa;"] {
        let data = format!(
            "<keys>\n<key>-----BEGIN DSA PRIVATE KEY-----{newline}{KEY_LINE_1}{newline}\
             {KEY_LINE_2}{newline}-----END DSA PRIVATE KEY-----</key>\n</keys>\n"
        );
        assert_eq!(
            content("conf/keys.xml", &data),
            one("private-key.block", 2),
            "line break {newline:?}"
        );
    }
}

#[test]
fn dj_pass_kubernetes_env_entry() {
    let data = "spec:\n  containers:\n    - name: worker\n      env:\n        - name: DJ_HOST\n          value: db.lab-a.example.org\n        - name: DJ_PASS\n          value: \"k8sword8\"\n";
    assert_eq!(
        content("k8s/deploy.yaml", data),
        one("datajoint.env-password-entry", 8)
    );
}

#[test]
fn dj_pass_kubernetes_secret_ref_ignored() {
    let data = "env:\n  - name: DJ_PASS\n    valueFrom:\n      secretKeyRef:\n        name: dj\n        key: password\n";
    assert_eq!(content("k8s/deploy.yaml", data), vec![]);
}

#[test]
fn dj_pass_csh_setenv() {
    let data = "setenv DJ_HOST db.lab-a.example.org\nsetenv DJ_PASS cshword5\n";
    assert_eq!(
        content("scripts/env.csh", data),
        one("datajoint.env-password", 2)
    );
}

#[test]
fn dj_pass_fish_set() {
    let data = "set -x DJ_HOST db.lab-a.example.org\nset -gx DJ_PASS \"fishword7\"\n";
    assert_eq!(
        content("scripts/env.fish", data),
        one("datajoint.env-password", 2)
    );
}

#[test]
fn dj_pass_shell_references_ignored() {
    let data = "setenv DJ_PASS \"$VAULT_PASS\"\nset -gx DJ_PASS (cat ~/.dj_pass)\nset -e DJ_PASS\n";
    assert_eq!(content("scripts/env.fish", data), vec![]);
}

#[test]
fn dj_code_config_update_dict() {
    let data = "import datajoint as dj\ndj.config.update({'database.user': 'u', 'database.password': 'updword8'})\n";
    assert_eq!(
        content("pipeline/connect.py", data),
        one("datajoint.code-password", 2)
    );
}

#[test]
fn dj_code_config_update_multiline_dict() {
    let data = "dj.config.update({\n    'database.host': 'db.example.org',\n    'database.password': 'updword9',\n})\n";
    assert_eq!(
        content("pipeline/connect.py", data),
        one("datajoint.code-password", 3)
    );
}

#[test]
fn dj_code_config_attribute() {
    let data = "import datajoint as dj\ndj.config.database.password = \"attrword1\"\n";
    assert_eq!(
        content("pipeline/connect.py", data),
        one("datajoint.code-password", 2)
    );
}

#[test]
fn dj_code_config_nested_index() {
    let data = "import datajoint as dj\ndj.config['database']['password'] = 'nestword2'\n";
    assert_eq!(
        content("pipeline/connect.py", data),
        one("datajoint.code-password", 2)
    );
}

#[test]
fn dj_code_config_references_ignored() {
    let data = "import os\nimport datajoint as dj\nfrom getpass import getpass\n\
                dj.config[\"database.password\"] = getpass()\n\
                dj.config.database.password = os.environ[\"DJ_PASS\"]\n\
                dj.config.update({'database.password': os.environ['DJ_PASS']})\n\
                dj.conn(password=os.environ[\"DJ_PASS\"])\n\
                dj.config['database.password'] = ''\n";
    assert_eq!(content("pipeline/connect.py", data), vec![]);
}

#[test]
fn escaped_json_unicode_quotes() {
    let data = "{\n  \"cfg\": \"{\\u0022aws_secret_access_key\\u0022: \\u0022GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu\\u0022}\"\n}\n";
    let found = content("deploy/appsettings.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, 2);
}

#[test]
fn escaped_json_unicode_apostrophes() {
    let data =
        "{\n  \"cfg\": \"{\\u0027db_password\\u0027: \\u0027Hq3Wr6Ty9Ui2Op5As8Df\\u0027}\"\n}\n";
    assert_eq!(
        content("deploy/appsettings.json", data),
        one("generic.secret-assignment", 2)
    );
}

#[test]
fn url_query_password_in_source_strings() {
    let url = "jdbc:mysql://db.example.org:3306/app?user=app&password=Jk2Lm5No8Pq1Rs4Tu7Vw";
    for (path, line) in [
        ("settings.py", format!("JDBC = \"{url}\"")),
        ("config/db.rb", format!("JDBC = '{url}'")),
        ("src/db.js", format!("const jdbc = `{url}`;")),
        ("src/Db.java", format!("String jdbc = \"{url}\";")),
    ] {
        let found = content(path, &format!("// db\n{line}\n"));
        let lines: Vec<u32> = found.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, vec![2], "{path}: {found:?}");
    }
}

#[test]
fn url_query_password_in_text_unchanged() {
    let data = "url: jdbc:postgresql://pg.example.org/app?user=svc&password=Lk3Jh6Gf9Ds2Ap5Oi8Uy\n";
    assert_eq!(
        content("db.yaml", data),
        one("generic.secret-assignment", 1)
    );
}

#[test]
fn quoting_styles_in_assignments() {
    for (path, comment, assignment) in [
        (
            "app/settings.py",
            "# settings",
            "client_secret = \"\"\"Xq1Zw4Ce7Vr0Bt3Ny6Mu9Ki3\"\"\"",
        ),
        (
            "app/settings.py",
            "# settings",
            "client_secret = '''Xq1Zw4Ce7Vr0Bt3Ny6Mu9Ki6'''",
        ),
        (
            "src/Config.cs",
            "// settings",
            "var clientSecret = @\"Cq1Xw4Ze7Vr0Bt3Ny6Mu9Ki4\";",
        ),
        (
            "src/config.rs",
            "// settings",
            "let client_secret = r#\"Vq1Xw4Ce7Zr0Bt3Ny6Mu9Ki5\"#;",
        ),
        (
            "conf/init.lua",
            "-- settings",
            "local api_secret = [[Io9Pa2Sd5Fg8Hj1Kl4Zx7Cv0]]",
        ),
        (
            "config/app.rb",
            "# settings",
            "client_secret = %q(Jq1Xw4Ce7Vr0Bt3Ny6Mu9Ki1)",
        ),
        (
            "app/raw.py",
            "# settings",
            "client_secret = r\"Zq1Xw4Ce7Vr0Bt3Ny6Mu9Ki2\"",
        ),
    ] {
        assert_line_two(path, comment, assignment);
    }
}

#[test]
fn quoting_styles_references_ignored() {
    for line in [
        "client_secret = \"\"\"{client_secret}\"\"\"",
        "var clientSecret = @\"${CLIENT_SECRET}\";",
        "local api_secret = [[changeme]]",
        "client_secret = %q(#{secret})",
    ] {
        assert_eq!(content("app/settings.py", line), vec![], "{line:?}");
    }
}

#[test]
fn connection_string_password_in_source() {
    let cs = "Server=db.example.org;Database=app;User Id=sa;Password=Hq3Wr6Ty9Ui2Op5As8Df;";
    for (path, line) in [
        ("src/Db.cs", format!("var cs = \"{cs}\";")),
        ("src/Db.java", format!("String cs = \"{cs}\";")),
        ("app/db.py", format!("CS = '{cs}'")),
    ] {
        let found = content(path, &format!("// db\n{line}\n"));
        let lines: Vec<u32> = found.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, vec![2], "{path}: {found:?}");
    }
}

#[test]
fn connection_string_in_yaml_unchanged() {
    let data = "db: \"Server=db.example.org;User Id=sa;Password=Hq3Wr6Ty9Ui2Op5As8Df;\"\n";
    let found = content("config/db.yaml", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_ne!(found[0].0, "generic.connection-string-password");
}

#[test]
fn tool_option_sshpass_and_redis_cli() {
    for line in [
        "sshpass -p 'Hq3Wr6Ty9Ui2Op5As8Df' ssh deploy@host",
        "redis-cli -a Yt6Re4Wq2Lk9Jh7Gf5Ds ping",
    ] {
        assert_line_two("scripts/ops.sh", "#!/bin/sh", line);
    }
}

#[test]
fn tool_option_references_ignored() {
    let data = "sshpass -p \"$SSH_PASS\" ssh deploy@host\nredis-cli -h cache -p 6379 ping\n";
    assert_eq!(content("scripts/ops.sh", data), vec![]);
}

#[test]
fn go_mysql_dsn_password() {
    assert_line_two(
        "internal/db/db.go",
        "package db",
        "const dsn = \"app:Pw9Ok8Ij7Uh6Yg5Tf4Rd@tcp(db.example.org:3306)/app\"",
    );
}

#[test]
fn dj_pass_ecs_environment_entry() {
    let data = "{\n  \"environment\": [\n    {\n      \"name\": \"DJ_PASS\",\n      \"value\": \"ecsword4\"\n    }\n  ]\n}\n";
    assert_eq!(
        content("deploy/task-definition.json", data),
        one("datajoint.env-password-entry", 5)
    );
}

#[test]
fn dj_pass_windows_setx() {
    assert_eq!(
        content("env.bat", "@echo off\nsetx DJ_PASS setxword13\n"),
        one("datajoint.env-password", 2)
    );
}

#[test]
fn env_entry_secret_kubernetes() {
    let data = "spec:\n  containers:\n    - name: api\n      env:\n        - name: DB_HOST\n          value: db.example.org\n        - name: DB_PASSWORD\n          value: \"Hq3Wr6Ty9Ui2Op5As8Df\"\n";
    assert_eq!(
        content("k8s/deploy.yaml", data),
        one("generic.env-entry-secret", 8)
    );
}

#[test]
fn env_entry_workflow_steps_ignored() {
    let data = "jobs:\n  build:\n    steps:\n      - name: Checkout\n        uses: actions/checkout@v4\n      - name: token\n        value: ${{ secrets.TOKEN }}\n";
    assert_eq!(content(".github/workflows/ci.yml", data), vec![]);
}
