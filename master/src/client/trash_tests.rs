//! Handler tests for goals, storage classes and trash time: request bytes
//! in, answer bytes out, laid out as `matoclserv.c` writes them.

use super::tests::{hex, master, mounted, send};
use super::*;

/// The payload answering a request, under the request's code plus one.
async fn answer(master: &Master, conn: &mut Connection, code: u32, request: &[&str]) -> Vec<u8> {
    match send(master, conn, code, &hex(&request.concat())).await {
        Action::Reply(frame) => {
            assert_eq!(frame.kind, code + 1);
            frame.payload.to_vec()
        }
        other => panic!("no answer: {other:?}"),
    }
}

#[tokio::test]
async fn goal_of_the_root_is_set_and_read_back() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let getsclass = ["00000001", "00000001", "00"]; // msgid, inode 1, gmode 0
    let got = answer(&master, &mut conn, 446, &getsclass).await;
    // msgid; 0 file records, 1 directory record; goal 2 held by 1 directory.
    assert_eq!(got, hex(&["00000001", "0001", "0200000001"].concat()));

    // msgid 2, inode 1, uid 0, goal 3, smode SET
    let setsclass = ["00000002", "00000001", "00000000", "03", "00"];
    let set = answer(&master, &mut conn, 448, &setsclass).await;
    // changed 1, not changed 0, not permitted 0
    assert_eq!(
        set,
        hex(&["00000002", "00000001", "00000000", "00000000"].concat())
    );
    let got = answer(&master, &mut conn, 446, &getsclass).await;
    assert_eq!(got, hex(&["00000001", "0001", "0300000001"].concat()));

    // Goal 10 is no simple goal: EINVAL.
    let bad = ["00000003", "00000001", "00000000", "0a", "00"];
    let refused = answer(&master, &mut conn, 448, &bad).await;
    assert_eq!(refused, hex(&["00000003", "06"].concat()));
}

#[tokio::test]
async fn trash_time_answers_in_seconds() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let get = ["00000001", "00000001", "00"]; // msgid, inode 1, gmode 0
    let got = answer(&master, &mut conn, 442, &get).await;
    // 0 file and 1 directory records: 86400 s held by 1 directory.
    assert_eq!(
        got,
        hex(&["00000001", "00000000", "00000001", "00015180", "00000001"].concat())
    );

    // msgid 2, inode 1, uid 0, 100 seconds, smode SET: kept as one hour.
    let set = ["00000002", "00000001", "00000000", "00000064", "00"];
    let changed = answer(&master, &mut conn, 444, &set).await;
    assert_eq!(
        changed,
        hex(&["00000002", "00000001", "00000000", "00000000"].concat())
    );
    let got = answer(&master, &mut conn, 442, &get).await;
    assert_eq!(
        got[12..],
        hex("0000 0e10 0000 0001".replace(' ', "").as_str())[..]
    );
}

#[tokio::test]
async fn mfsscadmin_creates_lists_and_deletes_a_class() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    // msgid 1, name "ssd", fver 0, admin_only 0, mode 1, arch_delay 0,
    // one label expression each (all zero: any server).
    let expr = "00000000000000000000000000000000";
    let create = [
        "00000001", "03737364", "00", "00", "01", "0000", "010101", expr, expr, expr,
    ];
    assert_eq!(
        answer(&master, &mut conn, 350, &create).await,
        hex("0000000100")
    );
    assert_eq!(
        answer(&master, &mut conn, 350, &create).await,
        hex("0000000132")
    );

    // LIST with fver 0: names only, the goal classes first.
    let names = answer(&master, &mut conn, 360, &["00000002", "00"]).await;
    let expected = [
        "00000002",
        "0131 0132 0133 0134 0135 0136 0137 0138 0139",
        "03737364",
    ];
    assert_eq!(names, hex(&expected.concat().replace(' ', "")));

    let delete = ["00000003", "03737364"];
    assert_eq!(
        answer(&master, &mut conn, 354, &delete).await,
        hex("0000000300")
    );
    assert_eq!(
        answer(&master, &mut conn, 354, &delete).await,
        hex("0000000334")
    );
    // The goal classes cannot go.
    assert_eq!(
        answer(&master, &mut conn, 354, &["00000004", "0132"]).await,
        hex("0000000401")
    );
}

/// The chunk service follows the class table as mfsscadmin changes it:
/// a chunk of a new class wants that class's keep count at once, and the
/// new count after a modify, with no chunk reference moved.
#[tokio::test]
async fn mfsscadmin_changes_reach_the_chunk_service() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let any = "00000000000000000000000000000000";
    let on_a = "00000001000000000000000000000000";
    // msgid 1, "ssd", fver 0, admin_only 0, mode 1, arch_delay 0; create
    // [A], keep [A, *, *], arch [A].
    let create = [
        "00000001", "03737364", "00", "00", "01", "0000", "010301", on_a, on_a, any, any, on_a,
    ];
    assert_eq!(
        answer(&master, &mut conn, 350, &create).await,
        hex("0000000100")
    );
    let class = crate::namespace::FIRST_CUSTOM_CLASS;
    let file = crate::chunks::FileRef { inode: 9, index: 0 };
    let chunk = master
        .chunks
        .commit(crate::chunks::ChunkEntry::Create { file, class })
        .unwrap();
    let goal = |master: &Master| master.chunks.chunk(chunk).unwrap().goal;
    assert_eq!(goal(&master), 3);

    // msgid 2, "ssd", fver 0, chgmask KEEP, admin_only 0, mode 1,
    // arch_delay 0; create [*], keep [A, *], arch [*] (only keep applies).
    let modify = [
        "00000002", "03737364", "00", "0008", "00", "01", "0000", "010201", any, on_a, any, any,
    ];
    let changed = answer(&master, &mut conn, 352, &modify).await;
    assert_eq!(changed[..5], hex("0000000200")[..]);
    assert_eq!(goal(&master), 2);
}

#[tokio::test]
async fn mounts_of_the_file_system_may_not_read_the_trash() {
    let master = master(crate::exports::MOOSEFS_DEFAULT).await;
    let mut conn = mounted(&master).await;
    let listing = answer(&master, &mut conn, 450, &["00000001", "00000000"]).await;
    assert_eq!(listing, hex("0000000101"));
}
