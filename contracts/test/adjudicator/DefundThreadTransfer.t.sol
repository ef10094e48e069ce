// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {ICMCAdjudicator} from "../../src/interfaces/ICMCAdjudicator.sol";
import {CoreTransferState, RegisteredTransfer} from "../../src/interfaces/Types.sol";
import {ThreadTransfer} from "../../src/transfers/ThreadTransfer.sol";

/// @notice `defundTransfer` with the thread definition: a disputed leg of a thread pays its
/// responder the payer's latest voucher on-chain, the rest back to its initiator; a cancel, an
/// expired thread or a responder that lets the transfer's timeout pass leaves the initial
/// balance with the initiator.
/// @dev The channel is alice (node) and bob. In the node's leg alice locks for bob, the payee,
/// and carol is the payer; in the payer's leg bob locks for alice and carol is the payee.
contract DefundThreadTransferTest is AdjudicatorBase {
    uint256 internal constant AMOUNT = 2 ether;
    uint256 internal constant PAID = 0.75 ether;
    bytes32 internal constant THREAD = keccak256("thread");

    ThreadTransfer internal thread;
    uint256 internal expiry;

    function setUp() public override {
        super.setUp();
        thread = new ThreadTransfer();
        RegisteredTransfer memory info = thread.getRegistryInformation();
        vm.prank(owner);
        registry.addTransferDefinition(info);
        depositAlice(ETH, 5 ether);
        depositBob(ETH, 5 ether);
        // Well past the channel's and the transfer's dispute windows.
        expiry = block.timestamp + 30 days;
    }

    function _leg(bytes32 id, address initiator, address responder, address payer, address payee)
        internal
        view
        returns (CoreTransferState memory cts, bytes memory state)
    {
        state = abi.encode(
            ThreadTransfer.ThreadState({payer: payer, payee: payee, threadId: THREAD, amount: AMOUNT, expiry: expiry})
        );
        cts = CoreTransferState({
            channelAddress: address(channel),
            transferId: id,
            transferDefinition: address(thread),
            initiator: initiator,
            responder: responder,
            assetId: ETH,
            balance: twoParty(payable(initiator), payable(responder), AMOUNT, 0),
            transferTimeout: TIMEOUT,
            initialStateHash: keccak256(state)
        });
    }

    /// @dev The node's leg: alice locks AMOUNT for bob, the payee; carol pays.
    function _nodeLeg() internal view returns (CoreTransferState memory cts, bytes memory state) {
        return _leg(keccak256("node leg"), alice, bob, carol, bob);
    }

    /// @dev The payer's leg: bob, the payer, locks AMOUNT for alice (the node); carol is paid.
    function _payerLeg() internal view returns (CoreTransferState memory cts, bytes memory state) {
        return _leg(keccak256("payer leg"), bob, alice, bob, carol);
    }

    function _voucher(uint256 key, uint256 amount) internal view returns (bytes memory) {
        return abi.encode(
            ThreadTransfer.ThreadResolver({amount: amount, signature: sign(key, thread.voucherDigest(THREAD, amount))})
        );
    }

    function _cancel() internal pure returns (bytes memory) {
        return abi.encode(ThreadTransfer.ThreadResolver({amount: 0, signature: ""}));
    }

    function _assertExitable(uint256 toAlice, uint256 toBob) internal view {
        assertEq(channel.getExitableAmount(ETH, alice), toAlice, "alice");
        assertEq(channel.getExitableAmount(ETH, bob), toBob, "bob");
    }

    // ---------------------------------------------------------------- before the timeout

    function test_defundTransfer_threadVoucherPaysPayee() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(carolKey, PAID);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAdjudicator.TransferDefunded(bob, cts.transferId, [AMOUNT - PAID, PAID]);
        vm.prank(bob);
        channel.defundTransfer(cts, state, resolver, "");
        _assertExitable(AMOUNT - PAID, PAID);
        assertTrue(channel.getTransferDispute(cts.transferId).isDefunded);
    }

    function test_defundTransfer_threadVoucherPaysNodeInPayerLeg() public {
        (CoreTransferState memory cts, bytes memory state) = _payerLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(bobKey, PAID);
        vm.prank(alice);
        channel.defundTransfer(cts, state, resolver, "");
        _assertExitable(PAID, AMOUNT - PAID);
    }

    function test_defundTransfer_threadVoucherAboveLockPaysLock() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(carolKey, AMOUNT + 1 ether);
        vm.prank(bob);
        channel.defundTransfer(cts, state, resolver, "");
        _assertExitable(0, AMOUNT);
    }

    function test_defundTransfer_threadByThirdPartyWithResolutionSignature() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(carolKey, PAID);
        bytes memory sig = sign(bobKey, channel.transferResolutionDigest(cts.transferId, resolver));
        vm.prank(carol);
        channel.defundTransfer(cts, state, resolver, sig);
        _assertExitable(AMOUNT - PAID, PAID);
    }

    function test_defundTransfer_threadCancelRefundsInitiator() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        vm.prank(bob);
        channel.defundTransfer(cts, state, _cancel(), "");
        _assertExitable(AMOUNT, 0);
    }

    function test_defundTransfer_threadRevertsWithVoucherNotSignedByPayer() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory forged = _voucher(bobKey, PAID);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, carol, bob));
        vm.prank(bob);
        channel.defundTransfer(cts, state, forged, "");
        assertFalse(channel.getTransferDispute(cts.transferId).isDefunded);
    }

    // ---------------------------------------------------------------- expiry and timeout

    function test_defundTransfer_threadExpiredRefusesVoucherThenPaysInitialBalance() public {
        // A thread that expires inside the transfer's dispute window.
        expiry = block.timestamp + TIMEOUT + 1 hours;
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(carolKey, PAID);
        vm.warp(expiry);
        assertLt(block.timestamp, channel.getTransferDispute(cts.transferId).transferDisputeExpiry);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, expiry, expiry));
        vm.prank(bob);
        channel.defundTransfer(cts, state, resolver, "");
        // The initiator cancels, or the timeout passes: either way it has its lock back.
        vm.prank(bob);
        channel.defundTransfer(cts, state, _cancel(), "");
        _assertExitable(AMOUNT, 0);
    }

    function test_defundTransfer_threadAfterTimeoutPaysInitialBalance() public {
        (CoreTransferState memory cts, bytes memory state) = _nodeLeg();
        disputeSingleTransfer(cts);
        bytes memory resolver = _voucher(carolKey, PAID);
        vm.warp(channel.getTransferDispute(cts.transferId).transferDisputeExpiry);
        assertLt(block.timestamp, expiry, "the thread itself has not expired");
        vm.prank(bob);
        channel.defundTransfer(cts, state, resolver, "");
        _assertExitable(AMOUNT, 0);
    }
}
