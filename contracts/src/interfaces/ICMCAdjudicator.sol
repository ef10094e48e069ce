// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelDispute, CoreChannelState, CoreTransferState, TransferDispute} from "./Types.sol";

/// @title ICMCAdjudicator
/// @notice The on-chain exit that either party can take alone (DESIGN §4.7).
/// @dev A channel dispute has two windows, each `timeout` long: during the consensus window a
/// state with a higher nonce replaces the one on record; during the defund window the recorded
/// state is final, its balances can be defunded and its transfers disputed. Once the defund
/// window is over a new dispute may start (with a nonce at least the recorded one), so that a
/// channel resumed off-chain after a dispute can be disputed again.
///
/// Dispute rounds keep anything from being paid twice across disputes. A round is the time one
/// state stays on record: recording another state starts a new round (a newer one in the
/// consensus window too), recording the same state again (after its defund window, e.g. by a
/// party who missed it) keeps the round. Each asset
/// remembers the defund nonce and the round it was defunded at, and:
/// - an asset is defunded only with a defund nonce above the one it was defunded at;
/// - a transfer is disputed only in the round its asset was defunded in, i.e. under the very
///   state whose balances paid the asset out. Whoever wants a transfer paid defunds its asset
///   first (anyone may), then disputes the transfer.
/// Every state signed before a dispute carries the defund nonces that dispute paid out at, so it
/// can neither defund those assets again nor dispute their transfers. The state that resumes the
/// channel gives each asset paid out the next defund nonce, without its balances and without the
/// transfers already disputed; an asset not paid out must keep its defund nonce, or an older
/// state and the resumed one could each pay it out once.
interface ICMCAdjudicator {
    event ChannelDisputed(address indexed disputer, uint256 nonce, uint256 consensusExpiry, uint256 defundExpiry);
    /// @notice An asset's share of the state on record was paid out; the totals are the
    /// deposits it counted, which a channel resumed after the dispute has processed.
    event ChannelDefunded(
        address indexed defunder,
        address indexed assetId,
        uint256 defundNonce,
        uint256 totalDepositsAlice,
        uint256 totalDepositsBob
    );
    event TransferDisputed(address indexed disputer, bytes32 indexed transferId, uint256 transferDisputeExpiry);
    event TransferDefunded(address indexed defunder, bytes32 indexed transferId, uint256[2] amounts);

    /// @notice Records a doubly-signed state as the channel dispute, or replaces the recorded
    /// one with a newer state while the consensus window is open. After a defund window any state
    /// with a nonce at least the recorded one starts a new dispute; a state other than the one on
    /// record starts a new dispute round.
    function disputeChannel(CoreChannelState calldata ccs, bytes calldata aliceSignature, bytes calldata bobSignature)
        external;

    /// @notice In the defund window, makes each listed asset's balances exitable, plus what was
    /// deposited on-chain and never processed by the state. `indices[i]` is the position of
    /// `assetIds[i]` in `ccs.assetIds`, or any index past its end for an asset the state lacks.
    function defundChannel(CoreChannelState calldata ccs, address[] calldata assetIds, uint256[] calldata indices)
        external;

    /// @notice In the defund window, records a transfer of the disputed merkle root. Only once
    /// its asset was defunded in this dispute round (`defundChannel` first), so that a transfer
    /// is paid only alongside the balances of the state it is locked in. The transfer's dispute
    /// expires `cts.transferTimeout` from now, which must fit 64 bits (`TransferTimeoutTooLarge`).
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
    /// @notice The defund nonce the asset was last defunded at (0: never).
    function getDefundNonce(address assetId) external view returns (uint256);
    /// @notice The dispute round the asset was last defunded in (0: never); its transfers can be
    /// disputed while it equals `getChannelDispute().round`.
    function getDefundRound(address assetId) external view returns (uint256);
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
