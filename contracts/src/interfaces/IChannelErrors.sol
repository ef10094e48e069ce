// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IChannelErrors
/// @notice Every revert of the channel contract, with the values that made it fail.
interface IChannelErrors {
    /// @notice `setup` was called on the mastercopy itself, or a function that needs a
    /// set-up channel was called on the mastercopy.
    error OnlyViaProxy();
    /// @notice `setup` was called on a channel that already has its parties.
    error AlreadySetup();
    /// @notice The parties given to `setup` are zero or equal.
    error InvalidParticipants(address alice, address bob);
    /// @notice The ETH sent does not match the amount, or ETH was sent with a token deposit.
    error InvalidDepositValue(uint256 amount, uint256 value);
    /// @notice A signed object names another channel.
    error WrongChannel(address expected, address actual);
    /// @notice The state names other parties than the channel's.
    error WrongParticipants(address alice, address bob);
    /// @notice A signature does not recover to the party that must have signed.
    error InvalidSignature(address expectedSigner);
    /// @notice The state's per-asset arrays do not all have the same length.
    error MalformedChannelState();
    /// @notice This withdrawal commitment was already paid out.
    error WithdrawalAlreadyExecuted(bytes32 commitment);
    /// @notice A payout to the channel itself would count as paid while the money stays, and
    /// then as a deposit of bob's.
    error InvalidRecipient(address recipient);
    /// @notice `exit` was called by neither the owner nor for the owner's own address.
    error UnauthorizedExit(address caller, address owner);
    /// @notice Nothing is exitable for this owner and asset.
    error NothingToExit(address assetId, address owner);
    /// @notice The function is not allowed in the dispute's current phase.
    error InvalidDisputePhase();
    /// @notice A channel dispute with a nonce that does not replace the one on record.
    error StaleChannelNonce(uint256 recorded, uint256 submitted);
    /// @notice The state's nonce does not fit the 64 bits the dispute record keeps.
    error ChannelNonceTooLarge(uint256 nonce);
    /// @notice The state's timeout would end its dispute windows past the 64 bits of time the
    /// dispute record keeps.
    error ChannelTimeoutTooLarge(uint256 timeout);
    /// @notice The state given does not hash to the disputed one.
    error ChannelStateNotDisputed(bytes32 recorded, bytes32 submitted);
    /// @notice `defundChannel` got a different number of asset ids and indices.
    error ArrayLengthMismatch(uint256 assetIds, uint256 indices);
    /// @notice The index names another asset of the state, or is past the end for an asset
    /// the state has.
    error InvalidAssetIndex(address assetId, uint256 index);
    /// @notice The asset was already defunded at this defund nonce or a later one.
    error AssetAlreadyDefunded(address assetId, uint256 recorded, uint256 submitted);
    /// @notice The state's defund nonce for the asset does not fit the 192 bits recorded for it.
    error DefundNonceTooLarge(address assetId, uint256 defundNonce);
    /// @notice A transfer is disputed only after its asset was defunded under the state on
    /// record, in the current dispute round.
    error AssetNotDefundedThisRound(address assetId, uint256 defundedInRound, uint256 currentRound);
    /// @notice The transfer is not a leaf of the disputed merkle root.
    error TransferNotInMerkleRoot(bytes32 transferId);
    /// @notice The transfer was already disputed.
    error TransferAlreadyDisputed(bytes32 transferId);
    /// @notice The transfer's timeout would end its dispute past the 64 bits of time the
    /// transfer dispute record keeps.
    error TransferTimeoutTooLarge(bytes32 transferId, uint256 transferTimeout);
    /// @notice The transfer was not disputed, or the state given is not the disputed one.
    error TransferNotDisputed(bytes32 transferId);
    /// @notice The transfer was already defunded.
    error TransferAlreadyDefunded(bytes32 transferId);
    /// @notice The initial state does not hash to the one the transfer commits to.
    error InvalidInitialState(bytes32 expected, bytes32 actual);
    /// @notice Before the transfer's timeout, only its responder may resolve it.
    error UnauthorizedResolver(address caller);
    /// @notice The definition's resolution moves funds to other addresses or creates funds.
    error InvalidResolvedBalance();
}
