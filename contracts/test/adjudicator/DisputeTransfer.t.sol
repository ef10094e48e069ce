// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {Merkle} from "../utils/Merkle.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCAdjudicator} from "../../src/interfaces/ICMCAdjudicator.sol";
import {CoreChannelState, CoreTransferState, TransferDispute} from "../../src/interfaces/Types.sol";

/// @notice `disputeTransfer`: merkle proofs against the disputed root, the phase, its asset
/// defunded in this round, and once only.
contract DisputeTransferTest is AdjudicatorBase {
    function _notInRoot(CoreTransferState memory cts, bytes32[] memory proof) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferNotInMerkleRoot.selector, cts.transferId));
        channel.disputeTransfer(cts, proof);
    }

    function _assertDisputed(CoreTransferState memory cts) internal view {
        TransferDispute memory td = channel.getTransferDispute(cts.transferId);
        assertEq(td.transferStateHash, channel.transferStateHash(cts));
        assertEq(td.transferDisputeExpiry, block.timestamp + cts.transferTimeout);
        assertFalse(td.isDefunded);
    }

    // ---------------------------------------------------------------- proofs

    function test_disputeTransfer_singleLeafWithEmptyProof() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        disputeWithTransfers(transfers, 0, 1);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAdjudicator.TransferDisputed(carol, transfers[0].transferId, block.timestamp + TIMEOUT);
        vm.prank(carol); // anyone may dispute
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        _assertDisputed(transfers[0]);
    }

    /// @dev Every transfer of trees of 1..9 leaves, each tree in its own dispute.
    function test_disputeTransfer_everyLeafOfTreesOfOneToNine() public {
        for (uint256 n = 1; n <= 9; ++n) {
            CoreTransferState[] memory transfers = manyTransfers(n, n);
            (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, n);
            for (uint256 i; i < n; ++i) {
                channel.disputeTransfer(transfers[i], Merkle.proof(leaves, i));
                _assertDisputed(transfers[i]);
            }
            warpPastDefund();
        }
    }

    function test_disputeTransfer_usesTheTransfersTimeout() public {
        CoreTransferState[] memory transfers = manyTransfers(2, 0);
        transfers[1].transferTimeout = 5 minutes;
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        channel.disputeTransfer(transfers[1], Merkle.proof(leaves, 1));
        assertEq(channel.getTransferDispute(transfers[1].transferId).transferDisputeExpiry, block.timestamp + 5 minutes);
    }

    /// @dev The dispute's expiry must fit the 64 bits the record keeps it in.
    function test_disputeTransfer_revertsWhenTimeoutTooLarge() public {
        CoreTransferState[] memory transfers = manyTransfers(3, 0);
        // Timestamps are those of the dispute below, which warps into the defund window.
        uint256 disputedAt = block.timestamp + TIMEOUT;
        transfers[0].transferTimeout = type(uint64).max - disputedAt + 1;
        transfers[1].transferTimeout = type(uint256).max;
        transfers[2].transferTimeout = type(uint64).max - disputedAt; // the longest that fits
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        assertEq(block.timestamp, disputedAt);
        for (uint256 i; i < 2; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IChannelErrors.TransferTimeoutTooLarge.selector,
                    transfers[i].transferId,
                    transfers[i].transferTimeout
                )
            );
            channel.disputeTransfer(transfers[i], Merkle.proof(leaves, i));
            assertEq(channel.getTransferDispute(transfers[i].transferId).transferStateHash, bytes32(0));
        }
        channel.disputeTransfer(transfers[2], Merkle.proof(leaves, 2));
        _assertDisputed(transfers[2]);
        assertEq(channel.getTransferDispute(transfers[2].transferId).transferDisputeExpiry, type(uint64).max);
    }

    function test_disputeTransfer_revertsWhenTransferNotInRoot() public {
        CoreTransferState[] memory transfers = manyTransfers(4, 0);
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        (CoreTransferState memory stranger,) = aliceToBob(keccak256("stranger"), 1 ether, bytes32(uint256(1)));
        _notInRoot(stranger, Merkle.proof(leaves, 0));
        _notInRoot(stranger, new bytes32[](0));

        // A committed transfer with one field changed is not committed.
        CoreTransferState memory altered = transfers[2];
        altered.balance.amount[0] += 1;
        _notInRoot(altered, Merkle.proof(leaves, 2));
    }

    function test_disputeTransfer_revertsWithWrongProof() public {
        CoreTransferState[] memory transfers = manyTransfers(5, 0);
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        _notInRoot(transfers[0], Merkle.proof(leaves, 1));
        _notInRoot(transfers[0], new bytes32[](0));
        bytes32[] memory proof = Merkle.proof(leaves, 3);
        proof[0] = keccak256("tampered");
        _notInRoot(transfers[3], proof);
    }

    function test_disputeTransfer_revertsWhenRootIsEmpty() public {
        CoreTransferState[] memory none = new CoreTransferState[](0);
        disputeWithTransfers(none, 5 ether, 1);
        (CoreTransferState memory cts,) = aliceToBob(keccak256("t"), 1 ether, bytes32(uint256(1)));
        _notInRoot(cts, new bytes32[](0));
    }

    function test_disputeTransfer_revertsWithTruncatedProof() public {
        CoreTransferState[] memory transfers = manyTransfers(4, 0);
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        // Without its first step the proof of leaf 0 proves the inner node (0,1), not leaf 0.
        bytes32[] memory proof = Merkle.proof(leaves, 0);
        bytes32[] memory shorter = new bytes32[](1);
        shorter[0] = proof[1];
        _notInRoot(transfers[0], shorter);
    }

    // ---------------------------------------------------------------- phase

    function test_disputeTransfer_revertsOutsideDefundPhase() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        bytes32[] memory proof = new bytes32[](0);
        // No channel dispute at all.
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeTransfer(transfers[0], proof);

        CoreChannelState memory ccs = singleAssetState(ETH, 0, 0, 1);
        ccs.merkleRoot = channel.transferStateHash(transfers[0]);
        dispute(ccs);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeTransfer(transfers[0], proof);
        vm.warp(currentDispute().consensusExpiry - 1);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeTransfer(transfers[0], proof);

        warpPastDefund();
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeTransfer(transfers[0], proof);
    }

    function test_disputeTransfer_lastSecondOfDefundWindow() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        disputeWithTransfers(transfers, 0, 1);
        vm.warp(currentDispute().defundExpiry - 1);
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        _assertDisputed(transfers[0]);
    }

    function test_disputeTransfer_againstTheReplacingRoot() public {
        CoreTransferState[] memory transfers = manyTransfers(2, 0);
        CoreChannelState memory older = singleAssetState(ETH, 0, 0, 1);
        older.merkleRoot = channel.transferStateHash(transfers[0]);
        dispute(older);
        CoreChannelState memory newer = singleAssetState(ETH, 0, 0, 2);
        newer.merkleRoot = channel.transferStateHash(transfers[1]);
        dispute(newer);
        vm.warp(currentDispute().consensusExpiry);
        defundEth(newer);
        _notInRoot(transfers[0], new bytes32[](0)); // only in the replaced state
        channel.disputeTransfer(transfers[1], new bytes32[](0));
    }

    // ---------------------------------------------------------------- its asset, this round

    function test_disputeTransfer_revertsWhenAssetNotDefundedThisRound() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        CoreChannelState memory ccs = singleAssetState(ETH, 0, 0, 1);
        ccs.merkleRoot = channel.transferStateHash(transfers[0]);
        disputeAndEnterDefund(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetNotDefundedThisRound.selector, ETH, 0, 1));
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        assertEq(channel.getTransferDispute(transfers[0].transferId).transferStateHash, bytes32(0));
    }

    function test_disputeTransfer_afterItsAssetIsDefundedThisRound() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        CoreChannelState memory ccs = singleAssetState(ETH, 0, 0, 1);
        ccs.merkleRoot = channel.transferStateHash(transfers[0]);
        disputeAndEnterDefund(ccs);
        vm.prank(carol); // anyone may defund, then dispute
        defundEth(ccs);
        assertEq(channel.getDefundRound(ETH), currentDispute().round);
        vm.prank(carol);
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        _assertDisputed(transfers[0]);
    }

    function test_disputeTransfer_revertsWhenOnlyAnotherAssetDefunded() public {
        (CoreTransferState memory cts,) =
            hashlockTransfer(keccak256("tok"), alice, bob, address(token), 1e18, bytes32(uint256(1)), 0);
        CoreChannelState memory ccs = twoAssetState(0, 0, 0, 0, 1);
        ccs.merkleRoot = channel.transferStateHash(cts);
        disputeAndEnterDefund(ccs);
        defundEth(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetNotDefundedThisRound.selector, address(token), 0, 1));
        channel.disputeTransfer(cts, new bytes32[](0));
        channel.defundChannel(ccs, addrs(address(token)), uints(1));
        channel.disputeTransfer(cts, new bytes32[](0));
        _assertDisputed(cts);
    }

    function test_disputeTransfer_revertsWhenAssetDefundedInEarlierRound() public {
        CoreTransferState[] memory transfers = manyTransfers(2, 0);
        CoreChannelState memory first = singleAssetState(ETH, 0, 0, 1);
        first.merkleRoot = channel.transferStateHash(transfers[0]);
        disputeAndEnterDefund(first);
        defundEth(first);
        warpPastDefund();

        // A later state with the same defund nonce cannot defund ETH again, so none of its ETH
        // transfers can be disputed.
        CoreChannelState memory later = singleAssetState(ETH, 0, 0, 2);
        later.merkleRoot = channel.transferStateHash(transfers[1]);
        disputeAndEnterDefund(later);
        assertEq(currentDispute().round, 2);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, ETH, 1, 1));
        defundEth(later);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetNotDefundedThisRound.selector, ETH, 1, 2));
        channel.disputeTransfer(transfers[1], new bytes32[](0));
    }

    // ---------------------------------------------------------------- once, this channel

    function test_disputeTransfer_revertsWhenAlreadyDisputed() public {
        CoreTransferState[] memory transfers = manyTransfers(3, 0);
        (, bytes32[] memory leaves) = disputeWithTransfers(transfers, 0, 1);
        channel.disputeTransfer(transfers[1], Merkle.proof(leaves, 1));
        vm.expectRevert(
            abi.encodeWithSelector(IChannelErrors.TransferAlreadyDisputed.selector, transfers[1].transferId)
        );
        channel.disputeTransfer(transfers[1], Merkle.proof(leaves, 1));
    }

    function test_disputeTransfer_revertsWhenAlreadyDisputedInEarlierDispute() public {
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        (CoreChannelState memory ccs,) = disputeWithTransfers(transfers, 0, 1);
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        uint256 expiry = channel.getTransferDispute(transfers[0].transferId).transferDisputeExpiry;
        warpPastDefund();
        disputeAndEnterDefund(ccs);
        vm.expectRevert(
            abi.encodeWithSelector(IChannelErrors.TransferAlreadyDisputed.selector, transfers[0].transferId)
        );
        channel.disputeTransfer(transfers[0], new bytes32[](0));
        assertEq(channel.getTransferDispute(transfers[0].transferId).transferDisputeExpiry, expiry);
    }

    function test_disputeTransfer_revertsWhenTransferNamesAnotherChannel() public {
        address other = factory.createChannel(alice, carol);
        CoreTransferState[] memory transfers = manyTransfers(1, 0);
        transfers[0].channelAddress = other;
        // Even committed in this channel's root, a transfer of another channel is refused.
        disputeWithTransfers(transfers, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.WrongChannel.selector, address(channel), other));
        channel.disputeTransfer(transfers[0], new bytes32[](0));
    }
}
