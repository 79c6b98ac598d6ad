//! Nonces across `fork()`: a parent and its forked child sealing the same plaintext under
//! one data key never produce the same nonce (the child's generator reseeds). Alone in its
//! test binary, so the fork happens with as few threads as possible.
#![allow(unsafe_code)]

use std::collections::HashSet;
use std::io::{Read, Write};

use privacy_core::__private::layout::{HEADER_LEN, NONCE_LEN};
use privacy_core::crypto::{Aad, Keyring};

const SEALS: usize = 50;

fn nonce(envelope: &[u8]) -> [u8; NONCE_LEN] {
    envelope[HEADER_LEN - NONCE_LEN..HEADER_LEN]
        .try_into()
        .unwrap()
}

#[test]
fn a_parent_and_its_forked_child_sealing_the_same_plaintext_never_share_a_nonce() {
    let keyring = Keyring::in_memory();
    let aad = Aad::new("Account", "card", "42");
    // The data key and this thread's nonce generator exist before the fork.
    let first = keyring.seal_bytes(&aad, b"4111111111111111").unwrap();
    let (mut parent_end, mut child_end) = std::os::unix::net::UnixStream::pair().unwrap();

    // SAFETY: the child only seals, writes to its socket and `_exit`s; it never returns into
    // the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(parent_end);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for _ in 0..SEALS {
                let env = keyring.seal_bytes(&aad, b"4111111111111111").unwrap();
                child_end.write_all(&env).unwrap();
            }
        }))
        .is_ok();
        // SAFETY: ends the child without running the parent's destructors or harness.
        unsafe { libc::_exit(i32::from(!ok)) };
    }
    drop(child_end);
    let parent: Vec<Vec<u8>> = (0..SEALS)
        .map(|_| keyring.seal_bytes(&aad, b"4111111111111111").unwrap())
        .collect();
    let mut bytes = Vec::new();
    parent_end.read_to_end(&mut bytes).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &raw mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed"
    );

    let len = first.len();
    assert_eq!(bytes.len(), SEALS * len);
    let child: Vec<&[u8]> = bytes.chunks(len).collect();
    // Same data key on both sides: the envelopes differ only by nonce (and so ciphertext).
    assert_eq!(
        child[0][..HEADER_LEN - NONCE_LEN],
        first[..HEADER_LEN - NONCE_LEN]
    );
    let parent_nonces: HashSet<[u8; NONCE_LEN]> = parent.iter().map(|e| nonce(e)).collect();
    for env in &child {
        assert!(
            !parent_nonces.contains(&nonce(env)),
            "the child reused a nonce of the parent"
        );
        assert!(!parent.iter().any(|p| p.as_slice() == *env));
        // And the child's envelopes open in the parent: one data key.
        assert_eq!(
            &keyring.open_bytes(&aad, env).unwrap()[..],
            b"4111111111111111"
        );
    }
    let child_nonces: HashSet<[u8; NONCE_LEN]> = child.iter().map(|e| nonce(e)).collect();
    assert_eq!(child_nonces.len(), SEALS);
}
