// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {ThreadHandler} from "./ThreadHandler.sol";

/// @title ThreadInvariants
/// @notice Stateful fuzzing of the thread definition driven by `ThreadHandler`, across random
/// threads, vouchers, chains, deployments and times:
/// (1) a resolve never pays the responder more than the lock;
/// (2) a resolve conserves the sum of the two sides;
/// (3) a voucher for another thread, chain or deployment, or not signed by the payer, is never
///     accepted;
/// and every resolve does what the model predicts (a valid voucher pays min(amount, lock)).
contract ThreadInvariantsTest is Test {
    ThreadHandler internal handler;

    function setUp() public {
        handler = new ThreadHandler();
        targetContract(address(handler));
        // Listed twice: twice as likely.
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = ThreadHandler.openThread.selector;
        selectors[1] = ThreadHandler.resolveVoucher.selector;
        selectors[2] = ThreadHandler.resolveVoucher.selector;
        selectors[3] = ThreadHandler.cancel.selector;
        selectors[4] = ThreadHandler.warp.selector;
        selectors[5] = ThreadHandler.openThread.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// (1) Never more than the lock to the responder.
    function invariant_neverPaysMoreThanLock() public view {
        assertEq(handler.overpaid(), 0);
    }

    /// (2) What the two sides get adds up to the lock.
    function invariant_conservesSum() public view {
        assertEq(handler.notConserved(), 0);
    }

    /// (3) No voucher for another thread, chain or deployment, or by anyone but the payer.
    function invariant_neverAcceptsForeignVoucher() public view {
        assertEq(handler.foreignAccepted(), 0);
    }

    /// Every resolve did what the model predicted.
    function invariant_matchesModel() public view {
        assertEq(handler.mismatches(), 0, handler.firstMismatch());
    }

    /// The handler reaches both outcomes: a valid voucher pays, each kind of foreign voucher
    /// and a late one are refused, a cancel returns the lock.
    function test_handlerSanity() public {
        handler.openThread(0, 0, 0, 10 ether, 1 days);
        handler.resolveVoucher(0, 4 ether, 0, 0, false);
        handler.resolveVoucher(0, 40 ether, 0, 0, true);
        assertEq(handler.accepted(), 2);
        for (uint256 v = 1; v < 7; ++v) {
            handler.resolveVoucher(0, 4 ether, v, 7, false);
        }
        assertEq(handler.refused(), 6);
        handler.warp(1 days);
        handler.resolveVoucher(0, 4 ether, 0, 0, false);
        assertEq(handler.refused(), 7);
        handler.cancel(0, false);
        assertEq(handler.cancels(), 1);
        assertEq(handler.foreignAccepted(), 0);
        assertEq(handler.mismatches(), 0, handler.firstMismatch());
    }
}
