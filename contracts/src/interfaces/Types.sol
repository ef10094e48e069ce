// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Where an amount of one asset goes: `amount[i]` to `to[i]`.
/// @dev Index 0 is the channel's alice (or a transfer's initiator), index 1 its bob (responder).
struct Balance {
    address payable[2] to;
    uint256[2] amount;
}

/// @notice The part of a channel state that both parties sign (DESIGN §4.2).
/// @dev Arrays are indexed by asset: `assetIds[i]` has `balances[i]`, `processedDepositsA[i]`, ...
struct CoreChannelState {
    address channelAddress;
    address alice;
    address bob;
    address[] assetIds;
    Balance[] balances;
    uint256[] processedDepositsA;
    uint256[] processedDepositsB;
    uint256[] defundNonces;
    uint256 timeout;
    uint256 nonce;
    bytes32 merkleRoot;
}

/// @notice The part of a transfer that the channel's merkle root commits to.
struct CoreTransferState {
    address channelAddress;
    bytes32 transferId;
    address transferDefinition;
    address initiator;
    address responder;
    address assetId;
    Balance balance;
    uint256 transferTimeout;
    bytes32 initialStateHash;
}

/// @notice A withdrawal that both parties signed; the channel pays it out once.
struct WithdrawData {
    address channelAddress;
    address assetId;
    address payable recipient;
    uint256 amount;
    uint256 nonce;
}

/// @notice The channel dispute on record: the latest state submitted, its windows, and the
/// dispute round it belongs to.
/// @dev Three storage slots: the two hashes, then the four 64-bit fields packed together.
/// `round` counts the states recorded one after another: it moves on whenever a state other
/// than the one on record is recorded, and stays when the same state is recorded again.
struct ChannelDispute {
    bytes32 channelStateHash;
    bytes32 merkleRoot;
    uint64 nonce;
    uint64 consensusExpiry;
    uint64 defundExpiry;
    uint64 round;
}

/// @notice A transfer dispute on record.
/// @dev Two storage slots: the hash, then the expiry packed with `isDefunded`, so that
/// `defundTransfer` reads both and marks the transfer defunded in the slot `disputeTransfer`
/// wrote rather than in a fresh one. A transfer timeout whose expiry would not fit the 64 bits
/// is refused (`TransferTimeoutTooLarge`).
struct TransferDispute {
    bytes32 transferStateHash;
    uint64 transferDisputeExpiry;
    bool isDefunded;
}

/// @notice What the registry holds for a transfer definition.
struct RegisteredTransfer {
    string name;
    address definition;
    string stateEncoding;
    string resolverEncoding;
    bytes encodedCancel;
}
