// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {Merkle} from "../utils/Merkle.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {CoreChannelState, CoreTransferState} from "../../src/interfaces/Types.sol";

/// @notice Disputes across rounds (issue 9, attack 5): after a dispute ends a new one may start
/// with the same state, an older state of a higher nonce, a conflicting state of the same nonce
/// or the state that resumed the channel; none of them pays a unit twice. Every test ends with
/// all exits made and the channel holding exactly what is left.
contract DisputeRoundsTest is AdjudicatorBase {
    bytes32 internal constant PRE_IMAGE_0 = keccak256("pre-image 0");
    bytes32 internal constant PRE_IMAGE_1 = keccak256("pre-image 1");

    CoreTransferState internal t0;
    bytes internal t0State;
    CoreTransferState internal t1;
    bytes internal t1State;

    function setUp() public override {
        super.setUp();
        (t0, t0State) = aliceToBob(keccak256("t0"), 2 ether, PRE_IMAGE_0);
        (t1, t1State) = aliceToBob(keccak256("t1"), 1 ether, PRE_IMAGE_1);
    }

    // ---------------------------------------------------------------- helpers

    function _withRoot(CoreChannelState memory ccs, CoreTransferState memory a)
        internal
        view
        returns (CoreChannelState memory)
    {
        ccs.merkleRoot = channel.transferStateHash(a);
        return ccs;
    }

    function _leaves01() internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](2);
        leaves[0] = channel.transferStateHash(t0);
        leaves[1] = channel.transferStateHash(t1);
    }

    function _proof(uint256 i) internal view returns (bytes32[] memory) {
        return Merkle.proof(_leaves01(), i);
    }

    /// @dev The responder claims with the pre-image, before the transfer's timeout.
    function _bobClaims(CoreTransferState memory cts, bytes memory state, bytes32 preImage) internal {
        vm.prank(bob);
        channel.defundTransfer(cts, state, hashlockResolver(preImage), "");
    }

    function _expectNotDefundedThisRound(CoreTransferState memory cts, bytes32[] memory proof, uint256 defundedIn)
        internal
    {
        vm.expectRevert(
            abi.encodeWithSelector(
                IChannelErrors.AssetNotDefundedThisRound.selector, cts.assetId, defundedIn, currentDispute().round
            )
        );
        channel.disputeTransfer(cts, proof);
    }

    function _expectAlreadyDefunded(CoreChannelState memory ccs, uint256 recorded, uint256 submitted) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, ETH, recorded, submitted));
        defundEth(ccs);
    }

    function _exitAll(address assetId) internal {
        address[2] memory owners = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            if (channel.getExitableAmount(assetId, owners[i]) == 0) continue;
            vm.prank(owners[i]);
            channel.exit(assetId, owners[i], payable(owners[i]));
        }
    }

    /// @dev Every exit succeeds, each party ends with what it is owed over all rounds, and the
    /// channel keeps nothing: not a unit was paid twice, or the last exit would have reverted.
    function _assertSettled(uint256 aliceTotal, uint256 bobTotal) internal {
        _exitAll(ETH);
        assertEq(alice.balance, aliceTotal, "alice's ETH over all rounds");
        assertEq(bob.balance, bobTotal, "bob's ETH over all rounds");
        assertEq(address(channel).balance, 0, "the channel holds exactly what is left");
        assertEq(channel.getExitableAmount(ETH, alice), 0);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
    }

    // ---------------------------------------------------------------- the attack of issue 9

    /// @dev Alice deposits 4 and locks 2 in t0 for bob (S1, nonce 5); bob claims t0 off-chain
    /// (S2, nonce 7, bob 2). Before the fix: t0 disputed and paid in round 1 with ETH never
    /// defunded, then S2 defunded in round 2: bob exited 4 and alice's exit reverted.
    function test_twoRounds_transferPaidInFirstRoundIsNotPaidAgain() public {
        depositAlice(ETH, 4 ether);
        CoreChannelState memory s1 = _withRoot(singleAssetState(ETH, 2 ether, 0, 5), t0);
        CoreChannelState memory s2 = singleAssetState(ETH, 2 ether, 2 ether, 7); // t0 resolved

        // Round 1: S1. The transfer cannot be paid apart from the balances of its state ...
        disputeAndEnterDefund(s1);
        _expectNotDefundedThisRound(t0, new bytes32[](0), 0);
        // ... so its asset is defunded first (anyone may), then the transfer.
        vm.prank(carol);
        defundEth(s1);
        channel.disputeTransfer(t0, new bytes32[](0));
        _bobClaims(t0, t0State, PRE_IMAGE_0);
        assertEq(channel.getExitableAmount(ETH, alice), 2 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 2 ether);
        warpPastDefund();

        // Round 2: S2, signed before round 1 with the same defund nonce, pays nothing more.
        disputeAndEnterDefund(s2);
        assertEq(currentDispute().round, 2);
        _expectAlreadyDefunded(s2, 1, 1);
        assertEq(channel.getExitableAmount(ETH, bob), 2 ether, "bob is owed 2, not 4");
        _assertSettled(2 ether, 2 ether);
    }

    /// @dev The other way round: nobody defunds in round 1 (so the transfer stays unpaid), and
    /// the newer state pays the transfer once, through bob's balance.
    function test_twoRounds_transferUnpaidInFirstRoundIsPaidOnceThroughTheNewerBalance() public {
        depositAlice(ETH, 4 ether);
        CoreChannelState memory s1 = _withRoot(singleAssetState(ETH, 2 ether, 0, 5), t0);
        CoreChannelState memory s2 = singleAssetState(ETH, 2 ether, 2 ether, 7);

        disputeAndEnterDefund(s1);
        _expectNotDefundedThisRound(t0, new bytes32[](0), 0);
        warpPastDefund();

        disputeAndEnterDefund(s2);
        defundEth(s2);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferNotInMerkleRoot.selector, t0.transferId));
        channel.disputeTransfer(t0, new bytes32[](0));
        _assertSettled(2 ether, 2 ether);
    }

    // ---------------------------------------------------------------- the same state again

    function test_sameStateAgain_keepsRoundAndDisputesOnlyUndisputedTransfers() public {
        depositAlice(ETH, 5 ether);
        CoreChannelState memory s = singleAssetState(ETH, 2 ether, 0, 5);
        s.merkleRoot = Merkle.root(_leaves01());
        bytes32[] memory proof0 = _proof(0);

        disputeAndEnterDefund(s);
        defundEth(s);
        channel.disputeTransfer(t0, proof0);
        _bobClaims(t0, t0State, PRE_IMAGE_0);
        warpPastDefund(); // bob missed t1

        disputeAndEnterDefund(s);
        assertEq(currentDispute().round, 1, "the same state keeps its round");
        _expectAlreadyDefunded(s, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferAlreadyDisputed.selector, t0.transferId));
        channel.disputeTransfer(t0, proof0);
        channel.disputeTransfer(t1, _proof(1));
        _bobClaims(t1, t1State, PRE_IMAGE_1);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferAlreadyDefunded.selector, t0.transferId));
        _bobClaims(t0, t0State, PRE_IMAGE_0);
        _assertSettled(2 ether, 3 ether);
    }

    /// @dev Bob, who lost round 1 with a stale state of alice's, records that state again and
    /// replaces it with his newer one in the new consensus window. Had the round been kept,
    /// ETH would count as defunded under his state and t0 (paid for by alice's balance in the
    /// stale state) would be paid again.
    function test_disputeTransfer_revertsAfterRecordedAgainStateIsReplaced() public {
        depositAlice(ETH, 4 ether);
        CoreChannelState memory stale = singleAssetState(ETH, 4 ether, 0, 5);
        CoreChannelState memory newer = _withRoot(singleAssetState(ETH, 2 ether, 0, 6), t0);

        disputeAndEnterDefund(stale); // unanswered
        defundEth(stale);
        warpPastDefund();

        dispute(stale);
        assertEq(currentDispute().round, 1);
        disputeAndEnterDefund(newer); // replaces it in the consensus window
        assertEq(currentDispute().round, 2);
        _expectNotDefundedThisRound(t0, new bytes32[](0), 1);
        _expectAlreadyDefunded(newer, 1, 1);
        _assertSettled(4 ether, 0);
    }

    // ---------------------------------------------------------------- the channel resumed

    /// @dev Round 1 with S1 (nonce 5): alice 3, bob 2, t0 and t1 locked. ETH is defunded, t0
    /// disputed and claimed, t1 left alone; both exit. Returns the two states that follow:
    /// S2 (nonce 7), signed before the dispute, in which bob claimed t0 off-chain; and S3
    /// (nonce 8) resuming the channel: defund nonce 2, t0 dropped, the defunded balances taken
    /// out, alice's deposit made after the defund credited, then alice pays bob 0.5.
    function _roundOneThenResume() internal returns (CoreChannelState memory s2, CoreChannelState memory s3) {
        depositAlice(ETH, 6 ether);
        depositBob(ETH, 2 ether);
        CoreChannelState memory s1 = singleAssetState(ETH, 3 ether, 2 ether, 5);
        s1.merkleRoot = Merkle.root(_leaves01());
        s2 = _withRoot(singleAssetState(ETH, 3 ether, 4 ether, 7), t1);

        disputeAndEnterDefund(s1);
        defundEth(s1);
        channel.disputeTransfer(t0, _proof(0));
        _bobClaims(t0, t0State, PRE_IMAGE_0);
        _exitAll(ETH);
        assertEq(alice.balance, 3 ether);
        assertEq(bob.balance, 4 ether);
        assertEq(address(channel).balance, 1 ether, "t1 is still locked");
        warpPastDefund();

        depositAlice(ETH, 2 ether); // after the defund
        s3 = singleAssetState(ETH, 1.5 ether, 0.5 ether, 8); // processed: 8 by alice, 2 by bob
        s3.defundNonces[0] = 2;
        s3 = _withRoot(s3, t1);
    }

    function test_resumedState_secondRoundDefundsExactly() public {
        (, CoreChannelState memory s3) = _roundOneThenResume();
        depositBob(ETH, 1 ether); // never processed

        disputeAndEnterDefund(s3);
        assertEq(currentDispute().round, 2);
        _expectNotDefundedThisRound(t1, new bytes32[](0), 1);
        defundEth(s3);
        assertEq(channel.getDefundNonce(ETH), 2);
        assertEq(channel.getDefundRound(ETH), 2);
        assertEq(channel.getExitableAmount(ETH, alice), 1.5 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 1.5 ether, "0.5 + the unprocessed 1");
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferAlreadyDisputed.selector, t0.transferId));
        channel.disputeTransfer(t0, new bytes32[](0));
        channel.disputeTransfer(t1, new bytes32[](0));
        _bobClaims(t1, t1State, PRE_IMAGE_1);
        // Deposited 6 + 2 + 2 + 1 = 11: round 1 paid 3 + 4, round 2 pays 1.5 + 2.5.
        _assertSettled(4.5 ether, 6.5 ether);
    }

    /// @dev Bob opens round 2 with S2, signed before the dispute. Even unanswered it pays
    /// nothing: ETH was defunded at its defund nonce and t1 cannot be disputed under it. Round 3
    /// with the resumed state then pays what is left.
    function test_resumedState_preDisputeStateInSecondRoundPaysNothing() public {
        (CoreChannelState memory s2, CoreChannelState memory s3) = _roundOneThenResume();

        disputeAndEnterDefund(s2);
        assertEq(currentDispute().round, 2);
        _expectAlreadyDefunded(s2, 1, 1);
        _expectNotDefundedThisRound(t1, new bytes32[](0), 1);
        warpPastDefund();

        disputeAndEnterDefund(s3);
        assertEq(currentDispute().round, 3);
        defundEth(s3);
        channel.disputeTransfer(t1, new bytes32[](0));
        vm.warp(channel.getTransferDispute(t1.transferId).transferDisputeExpiry);
        channel.defundTransfer(t1, t1State, "", ""); // timed out: back to alice
        _assertSettled(3 ether + 1.5 ether + 1 ether, 4 ether + 0.5 ether);
    }

    /// @dev A transfer disputed in round 1 and defunded only in round 2 (defundTransfer has no
    /// phase) is paid once, by its own record; the resumed state no longer holds it.
    function test_defundTransfer_disputedInEarlierRoundPaysOnce() public {
        depositAlice(ETH, 3 ether);
        CoreChannelState memory s1 = _withRoot(singleAssetState(ETH, 1 ether, 0, 5), t0);
        disputeAndEnterDefund(s1);
        defundEth(s1);
        channel.disputeTransfer(t0, new bytes32[](0));
        warpPastDefund();

        depositAlice(ETH, 1 ether);
        CoreChannelState memory s3 = singleAssetState(ETH, 1 ether, 0, 6); // t0 dropped
        s3.defundNonces[0] = 2;
        disputeAndEnterDefund(s3);
        defundEth(s3);
        channel.defundTransfer(t0, t0State, "", ""); // long timed out: back to alice
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferAlreadyDefunded.selector, t0.transferId));
        channel.defundTransfer(t0, t0State, "", "");
        _assertSettled(4 ether, 0);
    }

    // ---------------------------------------------------------------- conflicting states

    /// @dev Alice signed two proposals at nonce 5: S locks t0, S' has bob claim it. Whichever
    /// is defunded first, the other pays nothing.
    function test_conflictingStates_transferFirstThenConflictingBalance() public {
        depositAlice(ETH, 4 ether);
        CoreChannelState memory s = _withRoot(singleAssetState(ETH, 2 ether, 0, 5), t0);
        CoreChannelState memory conflicting = singleAssetState(ETH, 2 ether, 2 ether, 5);

        disputeAndEnterDefund(s);
        defundEth(s);
        channel.disputeTransfer(t0, new bytes32[](0));
        _bobClaims(t0, t0State, PRE_IMAGE_0);
        warpPastDefund();

        disputeAndEnterDefund(conflicting);
        assertEq(currentDispute().round, 2);
        _expectAlreadyDefunded(conflicting, 1, 1);
        _assertSettled(2 ether, 2 ether);
    }

    function test_conflictingStates_balanceFirstThenConflictingTransfer() public {
        depositAlice(ETH, 4 ether);
        CoreChannelState memory s = _withRoot(singleAssetState(ETH, 2 ether, 0, 5), t0);
        CoreChannelState memory conflicting = singleAssetState(ETH, 2 ether, 2 ether, 5);

        disputeAndEnterDefund(conflicting);
        defundEth(conflicting);
        warpPastDefund();

        disputeAndEnterDefund(s);
        assertEq(currentDispute().round, 2);
        _expectAlreadyDefunded(s, 1, 1);
        _expectNotDefundedThisRound(t0, new bytes32[](0), 1);
        _assertSettled(2 ether, 2 ether);
    }

    // ---------------------------------------------------------------- deposits, unlisted assets

    /// @dev Round 1 pays alice's unprocessed ETH deposit and the token the state lacks (all
    /// its deposits, at defund nonce 1); a newer pre-dispute state that processed the deposit
    /// and still lacks the token cannot pay either again.
    function test_unprocessedDepositsAndUnlistedAssets_paidOnceAcrossRounds() public {
        address tok = address(token);
        depositAlice(ETH, 1 ether);
        CoreChannelState memory s1 = singleAssetState(ETH, 1 ether, 0, 5);
        depositAlice(ETH, 2 ether); // unprocessed in s1
        CoreChannelState memory s2 = singleAssetState(ETH, 1 ether, 2 ether, 6); // processed; alice paid bob
        depositAlice(tok, 10e18);
        depositBob(tok, 20e18);

        disputeAndEnterDefund(s1);
        channel.defundChannel(s1, addrs(ETH, tok), uints(0, 1));
        assertEq(channel.getExitableAmount(ETH, alice), 3 ether);
        warpPastDefund();

        disputeAndEnterDefund(s2);
        _expectAlreadyDefunded(s2, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, tok, 1, 1));
        channel.defundChannel(s2, addrs(tok), uints(1));
        _assertSettled(3 ether, 0);
        _exitAll(tok);
        assertEq(token.balanceOf(alice), 10e18);
        assertEq(token.balanceOf(bob), 20e18);
        assertEq(token.balanceOf(address(channel)), 0);
    }
}
