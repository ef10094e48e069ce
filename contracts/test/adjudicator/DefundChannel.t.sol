// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCAdjudicator} from "../../src/interfaces/ICMCAdjudicator.sol";
import {CoreChannelState} from "../../src/interfaces/Types.sol";

/// @notice `defundChannel`: phases, which state, per-asset balances plus unprocessed deposits,
/// asset indices and defund nonces.
contract DefundChannelTest is AdjudicatorBase {
    address internal tok;

    function setUp() public override {
        super.setUp();
        tok = address(token);
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
    }

    /// @dev ETH state: alice 1, bob 4 (of 5 deposited), all deposits processed.
    function _state() internal view returns (CoreChannelState memory) {
        return singleAssetState(ETH, 1 ether, 4 ether, 3);
    }

    function _exitable(address assetId) internal view returns (uint256 a, uint256 b) {
        return (channel.getExitableAmount(assetId, alice), channel.getExitableAmount(assetId, bob));
    }

    function _exitAll(address assetId) internal {
        vm.prank(alice);
        channel.exit(assetId, alice, payable(alice));
        vm.prank(bob);
        channel.exit(assetId, bob, payable(bob));
    }

    // ---------------------------------------------------------------- phases and state

    function test_defundChannel_revertsBeforeConsensusWindowEnds() public {
        CoreChannelState memory ccs = _state();
        dispute(ccs);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        vm.warp(currentDispute().consensusExpiry - 1);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
    }

    function test_defundChannel_revertsAfterDefundWindow() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        warpPastDefund();
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
    }

    function test_defundChannel_revertsWithoutDispute() public {
        CoreChannelState memory ccs = _state();
        bytes32 submitted = channel.channelStateHash(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.ChannelStateNotDisputed.selector, bytes32(0), submitted));
        channel.defundChannel(ccs, addrs(ETH), uints(0));
    }

    function test_defundChannel_revertsWhenStateNotDisputed() public {
        CoreChannelState memory ccs = _state();
        dispute(ccs);
        // Replaced during the consensus window: the older state is no longer the dispute.
        CoreChannelState memory newer = singleAssetState(ETH, 2 ether, 3 ether, 4);
        dispute(newer);
        vm.warp(currentDispute().consensusExpiry);
        bytes32 recorded = channel.channelStateHash(newer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IChannelErrors.ChannelStateNotDisputed.selector, recorded, channel.channelStateHash(ccs)
            )
        );
        channel.defundChannel(ccs, addrs(ETH), uints(0));

        // A state differing from the disputed one in one balance only.
        newer.balances[0].amount[0] += 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IChannelErrors.ChannelStateNotDisputed.selector, recorded, channel.channelStateHash(newer)
            )
        );
        channel.defundChannel(newer, addrs(ETH), uints(0));
    }

    // ---------------------------------------------------------------- amounts

    function test_defundChannel_balancesPlusUnprocessedDepositsBecomeExitable() public {
        CoreChannelState memory ccs = _state();
        depositAlice(ETH, 5 ether); // after the state: not processed
        depositBob(ETH, 7 ether);
        disputeAndEnterDefund(ccs);

        // The event carries the deposit totals the defund counted, for the channel's resume.
        uint256 totalA = channel.getTotalDepositsAlice(ETH);
        uint256 totalB = channel.getTotalDepositsBob(ETH);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAdjudicator.ChannelDefunded(carol, ETH, 1, totalA, totalB);
        vm.prank(carol); // anyone may defund
        channel.defundChannel(ccs, addrs(ETH), uints(0));

        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a, 1 ether + 5 ether);
        assertEq(b, 4 ether + 7 ether);
        assertEq(channel.getDefundNonce(ETH), 1);
        assertEq(channel.getDefundRound(ETH), 1);
        _exitAll(ETH);
        assertEq(alice.balance, 6 ether);
        assertEq(bob.balance, 11 ether);
        assertEq(address(channel).balance, 0);
    }

    function test_defundChannel_processedAboveTotalCountsAsNothingUnprocessed() public {
        CoreChannelState memory ccs = _state();
        ccs.processedDepositsA[0] = 100 ether;
        ccs.processedDepositsB[0] = 100 ether;
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a, 1 ether);
        assertEq(b, 4 ether);
    }

    function test_defundChannel_assetNotInStateReturnsAllDeposits() public {
        depositAlice(tok, 10e18);
        depositBob(tok, 20e18);
        CoreChannelState memory ccs = _state(); // ETH only
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(tok), uints(1));
        (uint256 a, uint256 b) = _exitable(tok);
        assertEq(a, 10e18);
        assertEq(b, 20e18);
        assertEq(channel.getDefundNonce(tok), 1);
        _exitAll(tok);
        assertEq(token.balanceOf(address(channel)), 0);
    }

    function test_defundChannel_assetNotInStateAnyIndexPastTheEnd() public {
        depositBob(tok, 20e18);
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(tok), uints(type(uint256).max));
        (, uint256 b) = _exitable(tok);
        assertEq(b, 20e18);
    }

    function test_defundChannel_revertsWhenIndexPastEndForAssetInState() public {
        // Alice spent her 3 ETH: a past-the-end index must not give her deposits back.
        CoreChannelState memory ccs = singleAssetState(ETH, 0, 5 ether, 3);
        disputeAndEnterDefund(ccs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidAssetIndex.selector, ETH, 1));
        channel.defundChannel(ccs, addrs(ETH), uints(1));
        assertEq(channel.getExitableAmount(ETH, alice), 0);
        assertEq(channel.getDefundNonce(ETH), 0);
    }

    function test_defundChannel_revertsWhenIndexNamesAnotherAsset() public {
        depositAlice(tok, 10e18);
        CoreChannelState memory ccs = twoAssetState(1 ether, 4 ether, 10e18, 0, 3);
        disputeAndEnterDefund(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidAssetIndex.selector, tok, 0));
        channel.defundChannel(ccs, addrs(tok), uints(0));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidAssetIndex.selector, ETH, 1));
        channel.defundChannel(ccs, addrs(ETH), uints(1));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidAssetIndex.selector, tok, 2));
        channel.defundChannel(ccs, addrs(tok), uints(2));
    }

    function test_defundChannel_revertsWhenArrayLengthsDiffer() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.ArrayLengthMismatch.selector, 1, 2));
        channel.defundChannel(ccs, addrs(ETH), uints(0, 1));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.ArrayLengthMismatch.selector, 2, 0));
        channel.defundChannel(ccs, addrs(ETH, tok), new uint256[](0));
    }

    function test_defundChannel_revertsWhenAssetAlreadyDefunded() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, ETH, 1, 1));
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a + b, 5 ether, "paid once");
    }

    function test_defundChannel_revertsWhenSameAssetTwiceInOneCall() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, ETH, 1, 1));
        channel.defundChannel(ccs, addrs(ETH, ETH), uints(0, 0));
    }

    function test_defundChannel_reDisputeOfSameStateCannotDefundAgain() public {
        depositBob(tok, 20e18); // not in the state: defunded past the end
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH, tok), uints(0, 1));
        _exitAll(ETH);
        warpPastDefund();

        disputeAndEnterDefund(ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, ETH, 1, 1));
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AssetAlreadyDefunded.selector, tok, 1, 1));
        channel.defundChannel(ccs, addrs(tok), uints(1));
    }

    function test_defundChannel_reDisputeMissedWindowStillDefunds() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        warpPastDefund(); // nobody defunded
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a, 1 ether);
        assertEq(b, 4 ether);
    }

    function test_defundChannel_laterStateWithHigherDefundNonceDefundsAgain() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        _exitAll(ETH);
        warpPastDefund();

        depositAlice(ETH, 2 ether);
        CoreChannelState memory later = singleAssetState(ETH, 1 ether, 1 ether, 10);
        later.defundNonces[0] = 2;
        disputeAndEnterDefund(later);
        channel.defundChannel(later, addrs(ETH), uints(0));
        assertEq(channel.getDefundNonce(ETH), 2);
        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a, 1 ether);
        assertEq(b, 1 ether);
    }

    function test_defundChannel_recordsTheRound() public {
        CoreChannelState memory ccs = _state();
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        warpPastDefund();
        dispute(_laterWithNonce(10)); // another state: round 2
        dispute(_laterWithNonce(11)); // replaced in the consensus window: round 3
        vm.warp(currentDispute().consensusExpiry);
        CoreChannelState memory recorded = _laterWithNonce(11);
        channel.defundChannel(recorded, addrs(ETH, tok), uints(0, 1));
        assertEq(currentDispute().round, 3);
        assertEq(channel.getDefundRound(ETH), 3);
        assertEq(channel.getDefundNonce(ETH), 2);
        assertEq(channel.getDefundRound(tok), 3, "an asset the state lacks");
        assertEq(channel.getDefundNonce(tok), 1);
    }

    function _laterWithNonce(uint256 nonce) internal view returns (CoreChannelState memory ccs) {
        ccs = _state();
        ccs.nonce = nonce;
        ccs.defundNonces[0] = 2;
    }

    function test_defundChannel_revertsWhenDefundNonceTooLarge() public {
        CoreChannelState memory ccs = _state();
        ccs.defundNonces[0] = uint256(type(uint192).max) + 1;
        disputeAndEnterDefund(ccs);
        vm.expectRevert(
            abi.encodeWithSelector(IChannelErrors.DefundNonceTooLarge.selector, ETH, uint256(type(uint192).max) + 1)
        );
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        assertEq(channel.getDefundNonce(ETH), 0);

        warpPastDefund();
        ccs.nonce += 1;
        ccs.defundNonces[0] = type(uint192).max; // the largest that fits
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        assertEq(channel.getDefundNonce(ETH), type(uint192).max);
    }

    function test_defundChannel_multipleAssetsInOneCall() public {
        depositAlice(tok, 10e18);
        depositBob(tok, 30e18);
        CoreChannelState memory ccs = twoAssetState(1 ether, 4 ether, 25e18, 15e18, 3);
        depositAlice(tok, 1e18); // unprocessed
        disputeAndEnterDefund(ccs);
        // Order of the call need not follow the state's.
        channel.defundChannel(ccs, addrs(tok, ETH), uints(1, 0));

        (uint256 a, uint256 b) = _exitable(ETH);
        assertEq(a, 1 ether);
        assertEq(b, 4 ether);
        (a, b) = _exitable(tok);
        assertEq(a, 26e18);
        assertEq(b, 15e18);
        assertEq(channel.getDefundNonce(ETH), 1);
        assertEq(channel.getDefundNonce(tok), 1);
        _exitAll(ETH);
        _exitAll(tok);
        assertEq(address(channel).balance, 0);
        assertEq(token.balanceOf(address(channel)), 0);
    }

    function test_defundChannel_oneAssetAtATime() public {
        depositAlice(tok, 10e18);
        CoreChannelState memory ccs = twoAssetState(1 ether, 4 ether, 0, 10e18, 3);
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        assertEq(channel.getDefundNonce(tok), 0);
        channel.defundChannel(ccs, addrs(tok), uints(1));
        assertEq(channel.getExitableAmount(tok, bob), 10e18);
    }
}
