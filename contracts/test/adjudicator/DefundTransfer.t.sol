// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCAdjudicator} from "../../src/interfaces/ICMCAdjudicator.sol";
import {CoreChannelState, CoreTransferState, TransferDispute} from "../../src/interfaces/Types.sol";
import {HashlockTransfer} from "../../src/transfers/HashlockTransfer.sol";

/// @notice `defundTransfer` with the hashlock definition: who may resolve before the timeout,
/// the refund after it, and once only.
contract DefundTransferTest is AdjudicatorBase {
    bytes32 internal constant ID = keccak256("transfer");
    bytes32 internal constant PRE_IMAGE = keccak256("secret");
    uint256 internal constant AMOUNT = 2 ether;

    /// @dev Alice's ETH in the disputed state, made exitable by the channel defund in setUp.
    uint256 internal constant ALICE_BALANCE = 5 ether - AMOUNT;

    CoreTransferState internal cts;
    bytes internal initialState;
    uint256 internal disputeExpiry;

    function setUp() public override {
        super.setUp();
        depositAlice(ETH, 5 ether);
        (cts, initialState) = aliceToBob(ID, AMOUNT, PRE_IMAGE);
        CoreTransferState[] memory transfers = new CoreTransferState[](1);
        transfers[0] = cts;
        disputeWithTransfers(transfers, ALICE_BALANCE, 1); // defunds ETH first
        channel.disputeTransfer(cts, new bytes32[](0));
        disputeExpiry = block.timestamp + cts.transferTimeout;
    }

    function _resolutionSig(uint256 key, bytes32 transferId, bytes memory resolver)
        internal
        view
        returns (bytes memory)
    {
        return sign(key, channel.transferResolutionDigest(transferId, resolver));
    }

    function _defund(address caller, bytes memory resolver, bytes memory sig) internal {
        vm.prank(caller);
        channel.defundTransfer(cts, initialState, resolver, sig);
    }

    function _expectFails(address caller, bytes memory resolver, bytes memory sig, bytes memory err) internal {
        vm.expectRevert(err);
        _defund(caller, resolver, sig);
        assertFalse(channel.getTransferDispute(ID).isDefunded, "still open");
    }

    /// @dev What the transfer paid each side, on top of alice's balance in the state.
    function _assertPaid(uint256 toAlice, uint256 toBob) internal view {
        assertEq(channel.getExitableAmount(ETH, alice), ALICE_BALANCE + toAlice, "alice");
        assertEq(channel.getExitableAmount(ETH, bob), toBob, "bob");
        TransferDispute memory td = channel.getTransferDispute(ID);
        assertTrue(td.isDefunded);
        // The flag shares its slot with the expiry: marking the transfer keeps the record.
        assertEq(td.transferDisputeExpiry, disputeExpiry, "expiry kept");
        assertEq(td.transferStateHash, channel.transferStateHash(cts), "hash kept");
    }

    // ---------------------------------------------------------------- before the timeout

    function test_defundTransfer_responderWithPreImagePaysResponder() public {
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAdjudicator.TransferDefunded(bob, ID, [uint256(0), AMOUNT]);
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        _assertPaid(0, AMOUNT);
    }

    function test_defundTransfer_withChannelDefund_paysOutEveryDeposit() public {
        // setUp defunded the state's ETH before it disputed the transfer.
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        _assertPaid(0, AMOUNT);
        vm.prank(alice);
        channel.exit(ETH, alice, payable(alice));
        vm.prank(bob);
        channel.exit(ETH, bob, payable(bob));
        assertEq(address(channel).balance, 0);
        assertEq(bob.balance, AMOUNT);
    }

    function test_defundTransfer_revertsWithWrongPreImage() public {
        bytes32 wrong = keccak256("wrong");
        bytes memory err = abi.encodeWithSelector(
            HashlockTransfer.InvalidPreImage.selector, sha256(abi.encode(PRE_IMAGE)), sha256(abi.encode(wrong))
        );
        _expectFails(bob, hashlockResolver(wrong), "", err);
    }

    function test_defundTransfer_revertsWhenNonResponderWithoutSignature() public {
        bytes memory resolver = hashlockResolver(PRE_IMAGE);
        _expectFails(alice, resolver, "", abi.encodeWithSelector(IChannelErrors.UnauthorizedResolver.selector, alice));
        _expectFails(carol, resolver, "", abi.encodeWithSelector(IChannelErrors.UnauthorizedResolver.selector, carol));
    }

    function test_defundTransfer_thirdPartyWithResponderSignature() public {
        bytes memory resolver = hashlockResolver(PRE_IMAGE);
        _defund(carol, resolver, _resolutionSig(bobKey, ID, resolver));
        _assertPaid(0, AMOUNT);
        assertEq(channel.getExitableAmount(ETH, carol), 0);
    }

    function test_defundTransfer_revertsWithBadResponderSignature() public {
        bytes memory resolver = hashlockResolver(PRE_IMAGE);
        bytes memory err = abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, bob);
        // Not the responder's key.
        _expectFails(carol, resolver, _resolutionSig(aliceKey, ID, resolver), err);
        _expectFails(carol, resolver, _resolutionSig(carolKey, ID, resolver), err);
        // The responder's, but for another resolver or another transfer.
        _expectFails(carol, resolver, _resolutionSig(bobKey, ID, hashlockResolver(bytes32(0))), err);
        _expectFails(carol, resolver, _resolutionSig(bobKey, keccak256("other"), resolver), err);
        // Not a signature at all.
        _expectFails(carol, resolver, new bytes(65), err);
        _expectFails(carol, resolver, hex"01", err);
    }

    function test_defundTransfer_revertsWithSignatureOfAnotherChannel() public {
        address other = factory.createChannel(alice, carol);
        bytes memory resolver = hashlockResolver(PRE_IMAGE);
        bytes memory sig = sign(bobKey, ICMCAdjudicator(other).transferResolutionDigest(ID, resolver));
        _expectFails(carol, resolver, sig, abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, bob));
    }

    function test_defundTransfer_zeroPreImageCancelRefunds() public {
        _defund(bob, hashlockResolver(bytes32(0)), "");
        _assertPaid(AMOUNT, 0);
    }

    function test_defundTransfer_lastSecondBeforeTimeoutStillResolves() public {
        vm.warp(channel.getTransferDispute(ID).transferDisputeExpiry - 1);
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        _assertPaid(0, AMOUNT);
    }

    function test_defundTransfer_revertsWithWrongInitialState() public {
        bytes memory wrong =
            abi.encode(HashlockTransfer.HashlockState({lockHash: sha256(abi.encode(bytes32(0))), expiry: 0}));
        vm.expectRevert(
            abi.encodeWithSelector(IChannelErrors.InvalidInitialState.selector, cts.initialStateHash, keccak256(wrong))
        );
        vm.prank(bob);
        channel.defundTransfer(cts, wrong, hashlockResolver(bytes32(0)), "");
    }

    // ---------------------------------------------------------------- after the timeout

    function test_defundTransfer_afterTimeoutAnyoneGetsInitialBalance() public {
        vm.warp(channel.getTransferDispute(ID).transferDisputeExpiry);
        // Neither resolver, initial state nor signature matter any more.
        vm.prank(carol);
        channel.defundTransfer(cts, hex"dead", hashlockResolver(PRE_IMAGE), "");
        _assertPaid(AMOUNT, 0);
    }

    function test_defundTransfer_afterTimeoutResponderGetsNothingEvenWithPreImage() public {
        vm.warp(channel.getTransferDispute(ID).transferDisputeExpiry + 30 days);
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        _assertPaid(AMOUNT, 0);
    }

    function test_defundTransfer_hashlockExpiredBeforeTimeout() public {
        warpPastDefund();
        uint256 expiry = block.timestamp + 1 hours;
        bytes32 id = keccak256("expiring");
        (CoreTransferState memory t, bytes memory state) = hashlockTransfer(id, alice, bob, ETH, 1, PRE_IMAGE, expiry);
        CoreChannelState memory next = singleAssetState(ETH, 0, 0, 2);
        next.defundNonces[0] = nextDefundNonce(ETH); // the channel resumed after the first dispute
        next.merkleRoot = channel.transferStateHash(t);
        disputeAndEnterDefund(next); // now past the lock's expiry, before the transfer timeout
        defundEth(next);
        channel.disputeTransfer(t, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(HashlockTransfer.TransferExpired.selector, expiry, block.timestamp));
        vm.prank(bob);
        channel.defundTransfer(t, state, hashlockResolver(PRE_IMAGE), "");

        vm.warp(channel.getTransferDispute(id).transferDisputeExpiry);
        channel.defundTransfer(t, state, hashlockResolver(PRE_IMAGE), "");
        assertEq(channel.getExitableAmount(ETH, alice), ALICE_BALANCE + 1);
    }

    // ---------------------------------------------------------------- which transfer, once

    function test_defundTransfer_revertsWhenNotDisputed() public {
        (CoreTransferState memory other, bytes memory state) = aliceToBob(keccak256("x"), 1, PRE_IMAGE);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferNotDisputed.selector, other.transferId));
        vm.prank(bob);
        channel.defundTransfer(other, state, hashlockResolver(PRE_IMAGE), "");
    }

    function test_defundTransfer_revertsWhenStateDiffersFromDisputed() public {
        CoreTransferState memory altered = cts;
        altered.balance.amount[0] = 5 ether; // more than was locked
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferNotDisputed.selector, ID));
        vm.prank(bob);
        channel.defundTransfer(altered, initialState, hashlockResolver(PRE_IMAGE), "");

        altered = cts;
        altered.responder = carol; // carol would resolve for herself
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.TransferNotDisputed.selector, ID));
        vm.prank(carol);
        channel.defundTransfer(altered, initialState, hashlockResolver(PRE_IMAGE), "");
    }

    function test_defundTransfer_revertsWhenAlreadyDefunded() public {
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        bytes memory err = abi.encodeWithSelector(IChannelErrors.TransferAlreadyDefunded.selector, ID);
        vm.expectRevert(err);
        _defund(bob, hashlockResolver(PRE_IMAGE), "");
        vm.warp(channel.getTransferDispute(ID).transferDisputeExpiry);
        vm.expectRevert(err);
        _defund(alice, "", "");
        _assertPaid(0, AMOUNT);
    }

    function test_defundTransfer_revertsOnMastercopy() public {
        vm.expectRevert(IChannelErrors.OnlyViaProxy.selector);
        mastercopy.defundTransfer(cts, initialState, hashlockResolver(PRE_IMAGE), "");
    }
}
