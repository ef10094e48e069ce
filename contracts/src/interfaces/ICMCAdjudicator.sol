// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelDispute, CoreChannelState, CoreTransferState, TransferDispute} from "./Types.sol";

/// @title ICMCAdjudicator
/// @notice The on-chain exit that either party can take alone (DESIGN §4.7).
/// @dev A channel dispute has two windows, each `timeout` long: during the consensus window a
/// state with a higher nonce replaces the one on record; during the defund window the recorded
/// state is final, its balances can be defunded and its transfers disputed. Once the defund
/// window is over a new dispute may start (with a nonce at least the recorded one).
interface ICMCAdjudicator {
    event ChannelDisputed(address indexed disputer, uint256 nonce, uint256 consensusExpiry, uint256 defundExpiry);
    event ChannelDefunded(address indexed defunder, address indexed assetId, uint256 defundNonce);
    event TransferDisputed(address indexed disputer, bytes32 indexed transferId, uint256 transferDisputeExpiry);
    event TransferDefunded(address indexed defunder, bytes32 indexed transferId, uint256[2] amounts);

    /// @notice Records a doubly-signed state as the channel dispute, or replaces the recorded
    /// one with a newer state while the consensus window is open.
    function disputeChannel(CoreChannelState calldata ccs, bytes calldata aliceSignature, bytes calldata bobSignature)
        external;

    /// @notice In the defund window, makes each listed asset's balances exitable, plus what was
    /// deposited on-chain and never processed by the state. `indices[i]` is the position of
    /// `assetIds[i]` in `ccs.assetIds`, or any index past its end for an asset the state lacks.
    function defundChannel(CoreChannelState calldata ccs, address[] calldata assetIds, uint256[] calldata indices)
        external;

    /// @notice In the defund window, records a transfer of the disputed merkle root.
    function disputeTransfer(CoreTransferState calldata cts, bytes32[] calldata merkleProof) external;

    /// @notice Makes a disputed transfer's balance exitable: before its timeout as its definition
    /// resolves it (called by the responder, or with the responder's signature on the resolver);
    /// after its timeout, its initial balance.
    function defundTransfer(
        CoreTransferState calldata cts,
        bytes calldata encodedInitialTransferState,
        bytes calldata encodedTransferResolver,
        bytes calldata responderSignature
    ) external;

    function getChannelDispute() external view returns (ChannelDispute memory);
    function getDefundNonce(address assetId) external view returns (uint256);
    function getTransferDispute(bytes32 transferId) external view returns (TransferDispute memory);

    /// @notice The EIP-712 digest that both parties sign for a channel state.
    function channelStateDigest(CoreChannelState calldata ccs) external view returns (bytes32);
    /// @notice The EIP-712 struct hash of a channel state (what a dispute records).
    function channelStateHash(CoreChannelState calldata ccs) external pure returns (bytes32);
    /// @notice The EIP-712 struct hash of a transfer state: its merkle leaf.
    function transferStateHash(CoreTransferState calldata cts) external pure returns (bytes32);
    /// @notice The EIP-712 digest a responder signs to let another account defund its transfer.
    function transferResolutionDigest(bytes32 transferId, bytes calldata encodedResolver)
        external
        view
        returns (bytes32);
}
