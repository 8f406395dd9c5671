use super::*;

fn users() -> UserDb {
    UserDb::from_files("nobody:x:65534:65534::/:/bin/false\n", "nogroup:x:65534:\n")
}

fn parse(text: &str) -> Exports {
    Exports::parse(text, &users()).unwrap()
}

fn ask<'a>(ip: &str, path: Option<&'a str>) -> MountRequest<'a> {
    MountRequest {
        ip: ip.parse().unwrap(),
        version: Version::MOOSEFS_3_0_117,
        path,
        challenge: None,
    }
}

#[test]
fn debians_example_file_parses_as_moosefs_reads_it() {
    let exports = parse("*\t\t\t/\trw,alldirs,admin,maproot=0:0\n*\t\t\t.\trw\n");
    let [root, meta] = exports.rules() else {
        panic!("two rules expected");
    };
    assert_eq!(root.sesflags, sesflag::ADMIN);
    assert!(root.alldirs && !root.meta);
    assert_eq!((root.root_uid, root.root_gid), (0, 0));
    assert!(meta.meta);
    assert_eq!((meta.root_uid, meta.root_gid), (0, 0));
    assert_eq!(meta.sesflags, 0);
}

#[test]
fn defaults_are_moosefs_defaults() {
    let exports = parse("10.0.0.0/8 /data\n");
    let rule = &exports.rules()[0];
    assert_eq!(rule.sesflags, sesflag::READONLY);
    assert_eq!((rule.root_uid, rule.root_gid), (999, 999));
    assert_eq!((rule.min_goal, rule.max_goal), (1, 9));
    assert_eq!((rule.min_trashtime, rule.max_trashtime), (0, u32::MAX));
    assert_eq!(rule.path, "data");
}

#[test]
fn the_man_page_examples_parse() {
    let exports = parse(
        "*                    /       ro
192.168.1.0/24       /       rw
192.168.1.0/24       /       rw,alldirs,maproot=0,password=passcode
10.0.0.0-10.0.0.5    /test   rw,maproot=nobody,password=test
10.1.0.0/255.255.0.0 /public rw,mapall=1000:1000
10.2.0.0/16          /       rw,alldirs,maproot=0,mintrashtime=2h30m,maxtrashtime=2w
192.168.1.0/24       /       rw,disable=unlink:rmdir:truncate
192.168.1.0/24       /       rw,disable=unlink,disable=rmdir,disable=truncate
",
    );
    let rules = exports.rules();
    assert_eq!(rules.len(), 8);
    assert_eq!((rules[3].root_uid, rules[3].root_gid), (65534, 65534));
    assert_eq!((rules[4].root_uid, rules[4].mapall_gid), (1000, 1000));
    assert_eq!(rules[5].min_trashtime, 9000);
    assert_eq!(rules[6].disables, rules[7].disables);
    assert_eq!(rules[6].disables, 1 << 7 | 1 << 8 | 1 << 16);
}

#[test]
fn bad_lines_name_their_line() {
    let err = Exports::parse("# comment\n\n* / rw,bogus\n", &users()).unwrap_err();
    assert!(
        matches!(err, ExportsError::BadOption { line: 3, .. }),
        "{err}"
    );
    let err = Exports::parse("1.2.3.999 / rw\n", &users()).unwrap_err();
    assert!(
        matches!(err, ExportsError::BadAddress { line: 1, .. }),
        "{err}"
    );
    let err = Exports::parse("*\n", &users()).unwrap_err();
    assert!(matches!(err, ExportsError::Incomplete { line: 1 }), "{err}");
}

#[test]
fn the_most_privileged_matching_line_wins() {
    let exports = parse("* / ro\n10.0.0.0/8 / rw\n10.0.0.0/8 /a rw,alldirs\n");
    assert_eq!(
        exports
            .authorize(&ask("10.1.2.3", Some("/")))
            .unwrap()
            .sesflags,
        0
    );
    assert_eq!(
        exports
            .authorize(&ask("192.168.0.1", Some("/")))
            .unwrap()
            .sesflags,
        sesflag::READONLY
    );
    assert_eq!(
        exports
            .authorize(&ask("10.1.2.3", Some("/a/b/")))
            .unwrap()
            .path,
        "a"
    );
    assert_eq!(
        exports.authorize(&ask("10.1.2.3", Some("/ab"))),
        Err(Status::EACCES)
    );
    assert_eq!(
        exports.authorize(&ask("10.1.2.3", None)),
        Err(Status::EACCES)
    );
}

#[test]
fn password_lines_need_the_md5_challenge_answered() {
    let exports = parse("* / rw,password=secret\n");
    assert_eq!(
        exports.authorize(&ask("1.2.3.4", Some("/"))),
        Err(Status::NOPASSWORD)
    );
    let random = [7u8; 32];
    let digest = options::md5_of(b"secret");
    let mut material = random[..16].to_vec();
    material.extend_from_slice(&digest);
    material.extend_from_slice(&random[16..]);
    let answer = options::md5_of(&material);
    let good = MountRequest {
        challenge: Some((&random, &answer)),
        ..ask("1.2.3.4", Some("/"))
    };
    assert!(exports.authorize(&good).is_ok());
    let wrong = [0u8; 16];
    let bad = MountRequest {
        challenge: Some((&random, &wrong)),
        ..ask("1.2.3.4", Some("/"))
    };
    assert_eq!(exports.authorize(&bad), Err(Status::BADPASSWORD));
}

#[test]
fn moosefs_default_exports_allow_everything_and_meta() {
    let exports = Exports::moosefs_default();
    assert_eq!(exports.rules().len(), 2);
    let mount = MountRequest {
        ip: Ipv4Addr::new(10, 1, 2, 3),
        version: Version::MOOSEFS_3_0_117,
        path: Some("/any/dir"),
        challenge: None,
    };
    let rule = exports.authorize(&mount).unwrap();
    assert_eq!(rule.sesflags, sesflag::ADMIN);
    assert_eq!((rule.root_uid, rule.root_gid), (0, 0));
    let meta = MountRequest {
        path: None,
        ..mount
    };
    assert!(exports.authorize(&meta).unwrap().meta);
}
