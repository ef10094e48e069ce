// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCAdjudicator} from "../../src/interfaces/ICMCAdjudicator.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {Balance, ChannelDispute, CoreChannelState} from "../../src/interfaces/Types.sol";

/// @notice `disputeChannel`: what it records, its windows, nonces and the state checks.
contract DisputeChannelTest is AdjudicatorBase {
    function setUp() public override {
        super.setUp();
        depositAlice(ETH, 5 ether);
        depositBob(ETH, 5 ether);
    }

    function _state(uint256 nonce) internal view returns (CoreChannelState memory ccs) {
        ccs = singleAssetState(ETH, 4 ether, 6 ether, nonce);
        ccs.merkleRoot = keccak256(abi.encode("root", nonce));
    }

    function _expectStale(CoreChannelState memory ccs, uint256 recorded) internal {
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.StaleChannelNonce.selector, recorded, ccs.nonce));
        channel.disputeChannel(ccs, sigA, sigB);
    }

    function _expectRevert(CoreChannelState memory ccs, bytes memory sigA, bytes memory sigB, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        channel.disputeChannel(ccs, sigA, sigB);
        assertEq(currentDispute().channelStateHash, bytes32(0), "nothing recorded");
    }

    // ---------------------------------------------------------------- recording

    function test_disputeChannel_recordsHashNonceRootAndWindows() public {
        CoreChannelState memory ccs = _state(7);
        uint256 start = block.timestamp;
        vm.expectEmit(true, false, false, true, address(channel));
        emit ICMCAdjudicator.ChannelDisputed(carol, 7, start + TIMEOUT, start + 2 * TIMEOUT);
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.prank(carol); // anyone may submit
        channel.disputeChannel(ccs, sigA, sigB);

        ChannelDispute memory d = currentDispute();
        assertEq(d.channelStateHash, channel.channelStateHash(ccs));
        assertEq(d.nonce, 7);
        assertEq(d.merkleRoot, ccs.merkleRoot);
        assertEq(d.consensusExpiry, start + TIMEOUT);
        assertEq(d.defundExpiry, start + 2 * TIMEOUT);
        assertEq(d.round, 1, "the first dispute is round 1");
    }

    function test_disputeChannel_usesTheStatesTimeout() public {
        CoreChannelState memory ccs = _state(1);
        ccs.timeout = 3 hours;
        dispute(ccs);
        assertEq(currentDispute().consensusExpiry, block.timestamp + 3 hours);
        assertEq(currentDispute().defundExpiry, block.timestamp + 6 hours);
    }

    function test_disputeChannel_higherNonceReplacesWithoutExtending() public {
        dispute(_state(3));
        ChannelDispute memory first = currentDispute();
        vm.warp(block.timestamp + TIMEOUT - 1); // last second of the consensus window
        CoreChannelState memory newer = _state(5);
        newer.timeout = 10 days; // the newer state's timeout does not move the windows
        dispute(newer);

        ChannelDispute memory d = currentDispute();
        assertEq(d.channelStateHash, channel.channelStateHash(newer));
        assertEq(d.nonce, 5);
        assertEq(d.merkleRoot, newer.merkleRoot);
        assertEq(d.consensusExpiry, first.consensusExpiry);
        assertEq(d.defundExpiry, first.defundExpiry);
    }

    function test_disputeChannel_revertsWhenNonceStale() public {
        dispute(_state(5));
        vm.warp(block.timestamp + 1 hours);
        _expectStale(_state(4), 5);
        _expectStale(_state(1), 5);
    }

    function test_disputeChannel_revertsWhenNonceEqualDuringConsensus() public {
        dispute(_state(5));
        CoreChannelState memory same = _state(5);
        _expectStale(same, 5);
        same.balances[0].amount = [uint256(10 ether), 0]; // another state with the same nonce
        _expectStale(same, 5);
    }

    function test_disputeChannel_revertsInDefundWindow() public {
        dispute(_state(1));
        ChannelDispute memory d = currentDispute();
        CoreChannelState memory newer = _state(2);
        bytes memory sigA = signState(aliceKey, newer);
        bytes memory sigB = signState(bobKey, newer);
        vm.warp(d.consensusExpiry);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeChannel(newer, sigA, sigB);
        vm.warp(d.defundExpiry - 1);
        vm.expectRevert(IChannelErrors.InvalidDisputePhase.selector);
        channel.disputeChannel(newer, sigA, sigB);
    }

    function test_disputeChannel_afterDefundWindow_startsNewWindows() public {
        dispute(_state(4));
        warpPastDefund();
        uint256 now_ = block.timestamp;
        dispute(_state(4)); // the same nonce may be recorded again
        assertEq(currentDispute().consensusExpiry, now_ + TIMEOUT);
        assertEq(currentDispute().defundExpiry, now_ + 2 * TIMEOUT);

        warpPastDefund();
        now_ = block.timestamp;
        dispute(_state(9));
        assertEq(currentDispute().nonce, 9);
        assertEq(currentDispute().consensusExpiry, now_ + TIMEOUT);
    }

    // ---------------------------------------------------------------- rounds

    function test_disputeChannel_roundMovesOnWithEveryOtherState() public {
        dispute(_state(3));
        assertEq(currentDispute().round, 1);
        dispute(_state(4)); // replaced in the consensus window
        assertEq(currentDispute().round, 2);
        warpPastDefund();
        dispute(_state(4)); // the same state again
        assertEq(currentDispute().round, 2);
        warpPastDefund();
        dispute(_state(4));
        assertEq(currentDispute().round, 2);
        warpPastDefund();
        dispute(_state(6)); // another state after the defund window
        assertEq(currentDispute().round, 3);
    }

    function test_disputeChannel_sameNonceOtherStateIsAnotherRound() public {
        dispute(_state(4));
        warpPastDefund();
        CoreChannelState memory conflicting = _state(4);
        conflicting.balances[0].amount = [uint256(10 ether), 0];
        dispute(conflicting);
        assertEq(currentDispute().round, 2);
        assertEq(currentDispute().channelStateHash, channel.channelStateHash(conflicting));
    }

    /// @dev Recording the same state again after its defund window, then replacing it with a
    /// newer one in the consensus window, must not leave the assets defunded under the first
    /// state counting as defunded under the newer one.
    function test_disputeChannel_replacingARecordedAgainStateStartsAnotherRound() public {
        CoreChannelState memory ccs = _state(4);
        disputeAndEnterDefund(ccs);
        channel.defundChannel(ccs, addrs(ETH), uints(0));
        assertEq(channel.getDefundRound(ETH), 1);
        warpPastDefund();
        dispute(ccs);
        assertEq(currentDispute().round, 1);
        dispute(_state(5));
        assertEq(currentDispute().round, 2);
    }

    function test_disputeChannel_revertsWhenNonceTooLarge() public {
        CoreChannelState memory ccs = _state(uint256(type(uint64).max) + 1);
        bytes memory err = abi.encodeWithSelector(IChannelErrors.ChannelNonceTooLarge.selector, ccs.nonce);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, ccs), err);
        dispute(_state(type(uint64).max)); // the largest that fits
        assertEq(currentDispute().nonce, type(uint64).max);
    }

    function test_disputeChannel_revertsWhenTimeoutTooLarge() public {
        CoreChannelState memory ccs = _state(1);
        ccs.timeout = (type(uint64).max - block.timestamp) / 2 + 1;
        bytes memory err = abi.encodeWithSelector(IChannelErrors.ChannelTimeoutTooLarge.selector, ccs.timeout);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, ccs), err);
        ccs.timeout -= 1; // the longest that fits
        dispute(ccs);
        assertLe(currentDispute().defundExpiry, type(uint64).max);
        assertEq(currentDispute().defundExpiry, block.timestamp + 2 * ccs.timeout);
    }

    function test_disputeChannel_afterDefundWindow_revertsWhenNonceLower() public {
        dispute(_state(4));
        warpPastDefund();
        _expectStale(_state(3), 4);
    }

    // ---------------------------------------------------------------- signatures

    function test_disputeChannel_revertsWhenSignatureForged() public {
        CoreChannelState memory ccs = _state(1);
        bytes memory forged = abi.encodePacked(keccak256("r"), keccak256("s"), uint8(27));
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice);
        _expectRevert(ccs, forged, signState(bobKey, ccs), err);
        _expectRevert(ccs, new bytes(0), signState(bobKey, ccs), err);
        _expectRevert(ccs, new bytes(64), signState(bobKey, ccs), err);
    }

    function test_disputeChannel_revertsWhenSignatureForOtherState() public {
        CoreChannelState memory ccs = _state(2);
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, bob);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, _state(1)), err);
    }

    function test_disputeChannel_revertsWhenSignaturesSwapped() public {
        CoreChannelState memory ccs = _state(1);
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice);
        _expectRevert(ccs, signState(bobKey, ccs), signState(aliceKey, ccs), err);
    }

    function test_disputeChannel_revertsWhenSignedByOutsider() public {
        CoreChannelState memory ccs = _state(1);
        bytes memory errBob = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, bob);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(carolKey, ccs), errBob);
        bytes memory errAlice = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice);
        _expectRevert(ccs, signState(carolKey, ccs), signState(bobKey, ccs), errAlice);
        // The same party twice does not count as both.
        _expectRevert(ccs, signState(aliceKey, ccs), signState(aliceKey, ccs), errBob);
    }

    function test_disputeChannel_revertsWhenSignedForAnotherChannel() public {
        // Same parties, so `ccs` passes every check but the signature's domain.
        IChannelMastercopy other = IChannelMastercopy(payable(factory.createChannel(bob, alice)));
        CoreChannelState memory ccs = _state(1);
        bytes memory sigA = sign(aliceKey, other.channelStateDigest(ccs));
        bytes memory sigB = sign(bobKey, other.channelStateDigest(ccs));
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice);
        _expectRevert(ccs, sigA, sigB, err);
    }

    function test_disputeChannel_revertsWhenSignedForAnotherChain() public {
        CoreChannelState memory ccs = _state(1);
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.chainId(chainId);
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice);
        _expectRevert(ccs, sigA, sigB, err);
    }

    // ---------------------------------------------------------------- state checks

    function test_disputeChannel_revertsWhenStateNamesAnotherChannel() public {
        address other = factory.createChannel(alice, carol);
        CoreChannelState memory ccs = _state(1);
        ccs.channelAddress = other;
        bytes memory err = abi.encodeWithSelector(IChannelErrors.WrongChannel.selector, address(channel), other);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, ccs), err);
    }

    function test_disputeChannel_revertsWhenOtherParticipants() public {
        CoreChannelState memory ccs = _state(1);
        ccs.bob = carol;
        bytes memory err = abi.encodeWithSelector(IChannelErrors.WrongParticipants.selector, alice, carol);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(carolKey, ccs), err);

        ccs.alice = bob;
        ccs.bob = alice;
        err = abi.encodeWithSelector(IChannelErrors.WrongParticipants.selector, bob, alice);
        _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, ccs), err);
    }

    function test_disputeChannel_revertsWhenArraysOfDifferentLengths() public {
        bytes memory err = abi.encodeWithSelector(IChannelErrors.MalformedChannelState.selector);
        for (uint256 field; field < 4; ++field) {
            CoreChannelState memory ccs = _state(1);
            if (field == 0) ccs.balances = new Balance[](2);
            if (field == 1) ccs.processedDepositsA = new uint256[](0);
            if (field == 2) ccs.processedDepositsB = new uint256[](3);
            if (field == 3) ccs.defundNonces = new uint256[](2);
            _expectRevert(ccs, signState(aliceKey, ccs), signState(bobKey, ccs), err);
        }
        CoreChannelState memory extraAsset = _state(1);
        extraAsset.assetIds = addrs(ETH, address(token));
        _expectRevert(extraAsset, signState(aliceKey, extraAsset), signState(bobKey, extraAsset), err);
    }

    function test_disputeChannel_revertsOnMastercopy() public {
        CoreChannelState memory ccs = _state(1);
        bytes memory sigA = signState(aliceKey, ccs);
        bytes memory sigB = signState(bobKey, ccs);
        vm.expectRevert(IChannelErrors.OnlyViaProxy.selector);
        mastercopy.disputeChannel(ccs, sigA, sigB);
    }

    function test_disputeChannel_zeroAssetStateIsAccepted() public {
        CoreChannelState memory ccs = _state(1);
        ccs.assetIds = new address[](0);
        ccs.balances = new Balance[](0);
        ccs.processedDepositsA = new uint256[](0);
        ccs.processedDepositsB = new uint256[](0);
        ccs.defundNonces = new uint256[](0);
        dispute(ccs);
        assertEq(currentDispute().channelStateHash, channel.channelStateHash(ccs));
    }
}
