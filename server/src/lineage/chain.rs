//! Chain IDs: one digest per layer-stack height, so that an image's stack and every stack it starts
//! with can be looked up by equality (the scheme Docker and containerd use for layer stores).

use sha2::{Digest, Sha256};

/// `chain[0] = diff_ids[0]`, `chain[n] = sha256(chain[n-1] + " " + diff_ids[n])`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut chain: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = match chain.last() {
            None => diff_id.clone(),
            Some(parent) => {
                let mut hasher = Sha256::new();
                hasher.update(parent.as_bytes());
                hasher.update(b" ");
                hasher.update(diff_id.as_bytes());
                format!("sha256:{}", hex(&hasher.finalize()))
            }
        };
        chain.push(next);
    }
    chain
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_chain_id_definition() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let c = format!("sha256:{}", "c".repeat(64));
        let chain = chain_ids(&[a.clone(), b, c]);
        assert_eq!(chain[0], a, "the first chain ID is the first diff_id");
        // Computed independently with Python's hashlib over the same strings.
        assert_eq!(chain[1], "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
        assert_eq!(chain[2], "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
        assert!(chain_ids(&[]).is_empty());
    }

    #[test]
    fn a_prefix_stack_has_a_prefix_chain() {
        let ids: Vec<String> = (0..5).map(|i| format!("sha256:{i:064}")).collect();
        let full = chain_ids(&ids);
        assert_eq!(chain_ids(&ids[..3]), full[..3]);
    }
}
