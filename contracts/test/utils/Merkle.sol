// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Merkle
/// @notice Sorted-pair merkle trees for tests, built the way OpenZeppelin's MerkleProof checks
/// them: an odd node at the end of a level is carried up unchanged.
library Merkle {
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /// @notice The root of `leaves`; zero for none.
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return bytes32(0);
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            level = _nextLevel(level);
        }
        return level[0];
    }

    /// @notice The proof that `leaves[index]` is in `root(leaves)`.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory path) {
        bytes32[] memory scratch = new bytes32[](256);
        uint256 length;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) scratch[length++] = level[sibling];
            level = _nextLevel(level);
            index /= 2;
        }
        path = new bytes32[](length);
        for (uint256 i; i < length; ++i) {
            path[i] = scratch[i];
        }
    }

    function _nextLevel(bytes32[] memory level) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 i; i < next.length; ++i) {
            uint256 left = 2 * i;
            next[i] = left + 1 < level.length ? hashPair(level[left], level[left + 1]) : level[left];
        }
    }
}
