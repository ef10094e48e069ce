// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICMCAdjudicator} from "../interfaces/ICMCAdjudicator.sol";
import {ITransferDefinition} from "../interfaces/ITransferDefinition.sol";
import {Balance, ChannelDispute, CoreChannelState, CoreTransferState, TransferDispute} from "../interfaces/Types.sol";
import {ChannelHashing} from "../lib/ChannelHashing.sol";
import {CMCDeposit} from "./CMCDeposit.sol";

/// @title CMCAdjudicator
/// @notice Disputes: the exit either party can take alone (DESIGN §4.7).
abstract contract CMCAdjudicator is CMCDeposit, ICMCAdjudicator {
    /// @dev What an asset was last paid out at, in one slot: the defund nonce of the state that
    /// paid it, and the dispute round that state was on record in.
    struct AssetDefund {
        uint192 nonce;
        uint64 round;
    }

    ChannelDispute internal _channelDispute;
    mapping(address assetId => AssetDefund) internal _assetDefunds;
    mapping(bytes32 transferId => TransferDispute) internal _transferDisputes;

    /// @inheritdoc ICMCAdjudicator
    function disputeChannel(CoreChannelState calldata ccs, bytes calldata aliceSignature, bytes calldata bobSignature)
        external
        onlyViaProxy
        nonReentrant
    {
        bytes32 stateHash = _verifyChannelState(ccs, aliceSignature, bobSignature);
        if (ccs.nonce > type(uint64).max) revert ChannelNonceTooLarge(ccs.nonce);
        ChannelDispute storage dispute = _channelDispute;
        uint256 consensusExpiry = dispute.consensusExpiry;
        uint256 defundExpiry = dispute.defundExpiry;
        if (_inDefundPhase(consensusExpiry, defundExpiry)) revert InvalidDisputePhase();

        if (block.timestamp < consensusExpiry) {
            // Consensus window: only a newer state replaces the one on record.
            if (ccs.nonce <= dispute.nonce) revert StaleChannelNonce(dispute.nonce, ccs.nonce);
        } else {
            // A new dispute. After a finished one, the same state may be recorded again so that
            // a party who missed the defund window can still defund; defund nonces, rounds and
            // transfer records stop anything from being paid twice.
            if (ccs.nonce < dispute.nonce) revert StaleChannelNonce(dispute.nonce, ccs.nonce);
            if (ccs.timeout > (type(uint64).max - block.timestamp) / 2) revert ChannelTimeoutTooLarge(ccs.timeout);
            consensusExpiry = block.timestamp + ccs.timeout;
            defundExpiry = consensusExpiry + ccs.timeout;
            // casting to 'uint64' is safe because the timeout was bounded just above
            // forge-lint: disable-next-line(unsafe-typecast)
            dispute.consensusExpiry = uint64(consensusExpiry);
            // forge-lint: disable-next-line(unsafe-typecast)
            dispute.defundExpiry = uint64(defundExpiry);
        }
        if (stateHash != dispute.channelStateHash) {
            // Another state: a new round, so that assets defunded under the previous state do not
            // count as defunded under this one. This holds in the consensus window too: the
            // state replaced there may be one recorded again after assets were defunded with it.
            dispute.channelStateHash = stateHash;
            dispute.merkleRoot = ccs.merkleRoot;
            // casting to 'uint64' is safe because larger nonces were refused above
            // forge-lint: disable-next-line(unsafe-typecast)
            dispute.nonce = uint64(ccs.nonce);
            ++dispute.round;
        }
        emit ChannelDisputed(msg.sender, ccs.nonce, consensusExpiry, defundExpiry);
    }

    /// @inheritdoc ICMCAdjudicator
    function defundChannel(CoreChannelState calldata ccs, address[] calldata assetIds, uint256[] calldata indices)
        external
        onlyViaProxy
        nonReentrant
    {
        if (assetIds.length != indices.length) revert ArrayLengthMismatch(assetIds.length, indices.length);
        ChannelDispute storage dispute = _channelDispute;
        bytes32 stateHash = ChannelHashing.hashChannelState(ccs);
        if (stateHash != dispute.channelStateHash) revert ChannelStateNotDisputed(dispute.channelStateHash, stateHash);
        (uint256 consensusExpiry, uint256 defundExpiry, uint64 round) =
            (dispute.consensusExpiry, dispute.defundExpiry, dispute.round);
        if (!_inDefundPhase(consensusExpiry, defundExpiry)) revert InvalidDisputePhase();

        for (uint256 i; i < assetIds.length; ++i) {
            _defundAsset(ccs, assetIds[i], indices[i], round);
        }
    }

    /// @inheritdoc ICMCAdjudicator
    function disputeTransfer(CoreTransferState calldata cts, bytes32[] calldata merkleProof)
        external
        onlyViaProxy
        nonReentrant
    {
        if (cts.channelAddress != address(this)) revert WrongChannel(address(this), cts.channelAddress);
        ChannelDispute storage dispute = _channelDispute;
        (uint256 consensusExpiry, uint256 defundExpiry, uint256 round) =
            (dispute.consensusExpiry, dispute.defundExpiry, dispute.round);
        if (!_inDefundPhase(consensusExpiry, defundExpiry)) revert InvalidDisputePhase();
        TransferDispute storage transferDispute = _transferDisputes[cts.transferId];
        if (transferDispute.transferStateHash != bytes32(0)) revert TransferAlreadyDisputed(cts.transferId);
        // Only alongside the balances of the state on record: a state that did not pay out the
        // transfer's asset may be one in which the transfer is already resolved into a balance
        // that was (or will be) paid out under another state.
        uint256 defundedIn = _assetDefunds[cts.assetId].round;
        if (defundedIn != round) revert AssetNotDefundedThisRound(cts.assetId, defundedIn, round);

        bytes32 leaf = ChannelHashing.hashTransferState(cts);
        if (!MerkleProof.verifyCalldata(merkleProof, dispute.merkleRoot, leaf)) {
            revert TransferNotInMerkleRoot(cts.transferId);
        }
        if (cts.transferTimeout > type(uint64).max - block.timestamp) {
            revert TransferTimeoutTooLarge(cts.transferId, cts.transferTimeout);
        }
        uint256 expiry = block.timestamp + cts.transferTimeout;
        transferDispute.transferStateHash = leaf;
        // casting to 'uint64' is safe because the timeout was bounded just above
        // forge-lint: disable-next-line(unsafe-typecast)
        transferDispute.transferDisputeExpiry = uint64(expiry);
        emit TransferDisputed(msg.sender, cts.transferId, expiry);
    }

    /// @inheritdoc ICMCAdjudicator
    function defundTransfer(
        CoreTransferState calldata cts,
        bytes calldata encodedInitialTransferState,
        bytes calldata encodedTransferResolver,
        bytes calldata responderSignature
    ) external onlyViaProxy nonReentrant {
        TransferDispute storage transferDispute = _transferDisputes[cts.transferId];
        bytes32 leaf = ChannelHashing.hashTransferState(cts);
        if (transferDispute.transferStateHash == bytes32(0) || transferDispute.transferStateHash != leaf) {
            revert TransferNotDisputed(cts.transferId);
        }
        if (transferDispute.isDefunded) revert TransferAlreadyDefunded(cts.transferId);
        // Read before the flag is written: both live in the record's second slot.
        uint256 expiry = transferDispute.transferDisputeExpiry;
        transferDispute.isDefunded = true;

        Balance memory finalBalance;
        if (block.timestamp < expiry) {
            finalBalance =
                _resolveTransfer(cts, encodedInitialTransferState, encodedTransferResolver, responderSignature);
        } else {
            // The responder let the timeout pass: the initial balance stands.
            finalBalance = cts.balance;
        }
        _makeBalanceExitable(cts.assetId, finalBalance);
        emit TransferDefunded(msg.sender, cts.transferId, finalBalance.amount);
    }

    /// @inheritdoc ICMCAdjudicator
    function getChannelDispute() external view returns (ChannelDispute memory) {
        return _channelDispute;
    }

    /// @inheritdoc ICMCAdjudicator
    function getDefundNonce(address assetId) external view returns (uint256) {
        return _assetDefunds[assetId].nonce;
    }

    /// @inheritdoc ICMCAdjudicator
    function getDefundRound(address assetId) external view returns (uint256) {
        return _assetDefunds[assetId].round;
    }

    /// @inheritdoc ICMCAdjudicator
    function getTransferDispute(bytes32 transferId) external view returns (TransferDispute memory) {
        return _transferDisputes[transferId];
    }

    /// @inheritdoc ICMCAdjudicator
    function channelStateDigest(CoreChannelState calldata ccs) external view returns (bytes32) {
        return _hashTypedDataV4(ChannelHashing.hashChannelState(ccs));
    }

    /// @inheritdoc ICMCAdjudicator
    function channelStateHash(CoreChannelState calldata ccs) external pure returns (bytes32) {
        return ChannelHashing.hashChannelState(ccs);
    }

    /// @inheritdoc ICMCAdjudicator
    function transferStateHash(CoreTransferState calldata cts) external pure returns (bytes32) {
        return ChannelHashing.hashTransferState(cts);
    }

    /// @inheritdoc ICMCAdjudicator
    function transferResolutionDigest(bytes32 transferId, bytes calldata encodedResolver)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(ChannelHashing.hashTransferResolution(transferId, encodedResolver));
    }

    /// @dev Checks that the state is this channel's, well formed and signed by both parties;
    /// returns its struct hash.
    function _verifyChannelState(
        CoreChannelState calldata ccs,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) internal view returns (bytes32 stateHash) {
        if (ccs.channelAddress != address(this)) {
            revert WrongChannel(address(this), ccs.channelAddress);
        }
        if (ccs.alice != _alice || ccs.bob != _bob) revert WrongParticipants(ccs.alice, ccs.bob);
        uint256 assets = ccs.assetIds.length;
        if (
            ccs.balances.length != assets || ccs.processedDepositsA.length != assets
                || ccs.processedDepositsB.length != assets || ccs.defundNonces.length != assets
        ) revert MalformedChannelState();
        stateHash = ChannelHashing.hashChannelState(ccs);
        _requireSignature(stateHash, aliceSignature, _alice);
        _requireSignature(stateHash, bobSignature, _bob);
    }

    /// @dev Makes one asset's share of the disputed state exitable, plus deposits it never
    /// processed. An asset the state lacks was never processed at all: all its deposits go back.
    /// Records the defund nonce and the round, which lets the state's transfers of the asset be
    /// disputed.
    function _defundAsset(CoreChannelState calldata ccs, address assetId, uint256 index, uint64 round) internal {
        Balance memory balance;
        uint256 defundNonce;
        uint256 processedA;
        uint256 processedB;
        if (index < ccs.assetIds.length) {
            if (ccs.assetIds[index] != assetId) revert InvalidAssetIndex(assetId, index);
            balance = ccs.balances[index];
            defundNonce = ccs.defundNonces[index];
            processedA = ccs.processedDepositsA[index];
            processedB = ccs.processedDepositsB[index];
        } else {
            // Past the end must really mean "not in the state", or a party could skip its
            // balance and reclaim deposits it already spent.
            for (uint256 j; j < ccs.assetIds.length; ++j) {
                if (ccs.assetIds[j] == assetId) revert InvalidAssetIndex(assetId, index);
            }
            balance.to = [payable(_alice), payable(_bob)];
            defundNonce = 1;
        }

        uint256 recorded = _assetDefunds[assetId].nonce;
        if (recorded >= defundNonce) revert AssetAlreadyDefunded(assetId, recorded, defundNonce);
        if (defundNonce > type(uint192).max) revert DefundNonceTooLarge(assetId, defundNonce);
        // casting to 'uint192' is safe because larger defund nonces were refused just above
        // forge-lint: disable-next-line(unsafe-typecast)
        _assetDefunds[assetId] = AssetDefund({nonce: uint192(defundNonce), round: round});

        uint256 totalA = _totalDepositsAlice[assetId];
        uint256 totalB = _totalDepositsBob(assetId);
        balance.amount[0] += _unprocessed(totalA, processedA);
        balance.amount[1] += _unprocessed(totalB, processedB);
        _makeBalanceExitable(assetId, balance);
        emit ChannelDefunded(msg.sender, assetId, defundNonce, totalA, totalB);
    }

    /// @dev Before the timeout only the responder decides how the transfer resolves: by calling
    /// itself, or by signing the resolver for whoever submits it.
    function _resolveTransfer(
        CoreTransferState calldata cts,
        bytes calldata encodedInitialTransferState,
        bytes calldata encodedTransferResolver,
        bytes calldata responderSignature
    ) internal view returns (Balance memory finalBalance) {
        bytes32 initialHash = keccak256(encodedInitialTransferState);
        if (initialHash != cts.initialStateHash) revert InvalidInitialState(cts.initialStateHash, initialHash);
        if (msg.sender != cts.responder) {
            if (responderSignature.length == 0) revert UnauthorizedResolver(msg.sender);
            _requireSignature(
                ChannelHashing.hashTransferResolution(cts.transferId, encodedTransferResolver),
                responderSignature,
                cts.responder
            );
        }
        // A view call: the definition runs under STATICCALL and cannot re-enter.
        finalBalance = ITransferDefinition(cts.transferDefinition)
            .resolve(abi.encode(cts.balance), encodedInitialTransferState, encodedTransferResolver);
        // Compared without adding the resolved amounts, which a bad definition could overflow.
        uint256 total = cts.balance.amount[0] + cts.balance.amount[1];
        if (
            finalBalance.to[0] != cts.balance.to[0] || finalBalance.to[1] != cts.balance.to[1]
                || finalBalance.amount[0] > total || finalBalance.amount[1] > total - finalBalance.amount[0]
        ) revert InvalidResolvedBalance();
    }

    /// @dev Takes the expiries rather than the dispute: callers read them together with the
    /// round, from the one slot they share.
    function _inDefundPhase(uint256 consensusExpiry, uint256 defundExpiry) internal view returns (bool) {
        return consensusExpiry <= block.timestamp && block.timestamp < defundExpiry;
    }

    /// @dev Deposits on-chain not yet credited by the state; never negative.
    function _unprocessed(uint256 total, uint256 processed) internal pure returns (uint256) {
        return total > processed ? total - processed : 0;
    }
}
