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
    ChannelDispute internal _channelDispute;
    mapping(address assetId => uint256) internal _defundNonces;
    mapping(bytes32 transferId => TransferDispute) internal _transferDisputes;

    /// @inheritdoc ICMCAdjudicator
    function disputeChannel(CoreChannelState calldata ccs, bytes calldata aliceSignature, bytes calldata bobSignature)
        external
        onlyViaProxy
        nonReentrant
    {
        bytes32 stateHash = _verifyChannelState(ccs, aliceSignature, bobSignature);
        ChannelDispute storage dispute = _channelDispute;
        if (_inDefundPhase(dispute)) revert InvalidDisputePhase();

        if (block.timestamp < dispute.consensusExpiry) {
            // Consensus window: only a newer state replaces the one on record.
            if (ccs.nonce <= dispute.nonce) revert StaleChannelNonce(dispute.nonce, ccs.nonce);
        } else {
            // A new dispute. After a finished one, the same state may be recorded again so that
            // a party who missed the defund window can still defund; defund nonces and transfer
            // records stop anything from being paid twice.
            if (ccs.nonce < dispute.nonce) revert StaleChannelNonce(dispute.nonce, ccs.nonce);
            dispute.consensusExpiry = block.timestamp + ccs.timeout;
            dispute.defundExpiry = block.timestamp + 2 * ccs.timeout;
        }
        dispute.channelStateHash = stateHash;
        dispute.nonce = ccs.nonce;
        dispute.merkleRoot = ccs.merkleRoot;
        emit ChannelDisputed(msg.sender, ccs.nonce, dispute.consensusExpiry, dispute.defundExpiry);
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
        if (!_inDefundPhase(dispute)) revert InvalidDisputePhase();

        for (uint256 i; i < assetIds.length; ++i) {
            _defundAsset(ccs, assetIds[i], indices[i]);
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
        if (!_inDefundPhase(dispute)) revert InvalidDisputePhase();
        TransferDispute storage transferDispute = _transferDisputes[cts.transferId];
        if (transferDispute.transferStateHash != bytes32(0)) revert TransferAlreadyDisputed(cts.transferId);

        bytes32 leaf = ChannelHashing.hashTransferState(cts);
        if (!MerkleProof.verifyCalldata(merkleProof, dispute.merkleRoot, leaf)) {
            revert TransferNotInMerkleRoot(cts.transferId);
        }
        transferDispute.transferStateHash = leaf;
        transferDispute.transferDisputeExpiry = block.timestamp + cts.transferTimeout;
        emit TransferDisputed(msg.sender, cts.transferId, transferDispute.transferDisputeExpiry);
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
        transferDispute.isDefunded = true;

        Balance memory finalBalance;
        if (block.timestamp < transferDispute.transferDisputeExpiry) {
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
        return _defundNonces[assetId];
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
    function _defundAsset(CoreChannelState calldata ccs, address assetId, uint256 index) internal {
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

        uint256 recorded = _defundNonces[assetId];
        if (recorded >= defundNonce) revert AssetAlreadyDefunded(assetId, recorded, defundNonce);
        _defundNonces[assetId] = defundNonce;

        balance.amount[0] += _unprocessed(_totalDepositsAlice[assetId], processedA);
        balance.amount[1] += _unprocessed(_totalDepositsBob(assetId), processedB);
        _makeBalanceExitable(assetId, balance);
        emit ChannelDefunded(msg.sender, assetId, defundNonce);
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

    function _inDefundPhase(ChannelDispute storage dispute) internal view returns (bool) {
        return dispute.consensusExpiry <= block.timestamp && block.timestamp < dispute.defundExpiry;
    }

    /// @dev Deposits on-chain not yet credited by the state; never negative.
    function _unprocessed(uint256 total, uint256 processed) internal pure returns (uint256) {
        return total > processed ? total - processed : 0;
    }
}
