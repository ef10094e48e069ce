// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {ChannelHandler} from "./ChannelHandler.sol";

/// @title ChannelInvariants
/// @notice Stateful fuzzing of one channel driven by `ChannelHandler` (DESIGN §6, on-chain),
/// through as many dispute rounds as a run reaches, the channel resuming off-chain between them:
/// (1) per asset the channel never pays out more than was deposited, holds exactly the rest, and
///     holds at least what it already owes (exitable amounts and signed withdrawals): nothing is
///     paid twice, in one round or across rounds;
/// (2) a party holding the latest doubly-signed state recovers at least its balance in it plus
///     what its resolvable transfers owe it, round after round, whatever stale state the other
///     side submits (in a round its watcher slept through, what the state on record owes);
/// (3) a withdrawal commitment pays out at most once.
/// After every run the handler carries the channel through to the last exit and the final
/// books are checked as well.
/// @dev Run with FOUNDRY_PROFILE=ci for 256 runs of depth 50.
contract ChannelInvariantsTest is Test {
    ChannelHandler internal handler;

    function setUp() public {
        handler = new ChannelHandler();
        // Demonstration knob: without the watcher nobody answers a stale dispute, and the
        // fuzzer finds a run in which the latest state loses (invariant (2) fails).
        if (vm.envOr("CHANNEL_INVARIANT_NO_WATCHER", false)) handler.setWatcher(false);
        targetContract(address(handler));

        // Listed twice: twice as likely. Off-chain payments build the history the adversary
        // replays; the dispute steps carry each run's channel through to its exits; time passes
        // often enough for a run to see a dispute round end, the channel resume and another
        // round start.
        bytes4[] memory selectors = new bytes4[](25);
        selectors[0] = ChannelHandler.aliceDeposits.selector;
        selectors[1] = ChannelHandler.bobDeposits.selector;
        selectors[2] = ChannelHandler.reconcileDeposits.selector;
        selectors[3] = ChannelHandler.pay.selector;
        selectors[4] = ChannelHandler.pay.selector;
        selectors[5] = ChannelHandler.createHashlock.selector;
        selectors[6] = ChannelHandler.resolveTransfer.selector;
        selectors[7] = ChannelHandler.withdrawOffchain.selector;
        selectors[8] = ChannelHandler.executeWithdrawal.selector;
        selectors[9] = ChannelHandler.disputeChannel.selector;
        selectors[10] = ChannelHandler.warp.selector;
        selectors[11] = ChannelHandler.warp.selector;
        selectors[12] = ChannelHandler.defundChannel.selector;
        selectors[13] = ChannelHandler.defundChannel.selector;
        selectors[14] = ChannelHandler.disputeTransfer.selector;
        selectors[15] = ChannelHandler.disputeTransfer.selector;
        selectors[16] = ChannelHandler.defundTransfer.selector;
        selectors[17] = ChannelHandler.defundTransfer.selector;
        selectors[18] = ChannelHandler.exit.selector;
        selectors[19] = ChannelHandler.exit.selector;
        selectors[20] = ChannelHandler.disputeChannel.selector;
        selectors[21] = ChannelHandler.createWithdrawTransfer.selector;
        selectors[22] = ChannelHandler.watcherNaps.selector;
        selectors[23] = ChannelHandler.warp.selector;
        selectors[24] = ChannelHandler.nextRound.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// (1) Per asset: paid out <= deposited, holdings == deposited - paid out.
    function invariant_paidOutNeverExceedsDeposited() public view {
        handler.checkSolvency();
    }

    /// (2) Once defunded, each party has recovered at least what the latest state owes it.
    function invariant_latestStateRecovered() public view {
        handler.checkLatestStateRecovered();
    }

    /// (2) No stale state is on record once its consensus window is over.
    function invariant_latestStateWinsDispute() public view {
        handler.checkLatestStateWins();
    }

    /// (3) Each withdrawal commitment paid out at most once.
    function invariant_withdrawalPaidAtMostOnce() public view {
        handler.checkWithdrawalsPaidOnce();
    }

    /// Exact books: exitable + exited == what the defunds owe, per asset and party.
    function invariant_exitableMatchesModel() public view {
        handler.checkExitableMatchesModel();
    }

    /// Off-chain conservation: balances + locked == processed deposits - withdrawn.
    function invariant_offchainStateConserved() public view {
        handler.checkConservation();
    }

    /// Every channel call did what the model predicted; dispute records match the model.
    function invariant_channelMatchesModel() public view {
        handler.checkChannelMatchesModel();
    }

    /// Carries every run's channel through to the end and checks the final books.
    function afterInvariant() public {
        if (vm.envOr("CHANNEL_INVARIANT_SUMMARY", false)) _summary();
        handler.settle();
        handler.checkChannelMatchesModel();
        handler.checkSolvency();
        handler.checkLatestStateRecovered();
        handler.checkLatestStateWins();
        handler.checkWithdrawalsPaidOnce();
        handler.checkExitableMatchesModel();
        handler.checkSettled();
    }

    /// @dev With CHANNEL_INVARIANT_SUMMARY=true (and -vv, one invariant at a time with --mt):
    /// logs how often each action succeeded during the fuzzer's calls (before `settle`),
    /// summed over the runs so far. The totals travel between runs in environment variables.
    function _summary() internal {
        string[38] memory names = [
            "depositAlice",
            "depositBob",
            "reconcile",
            "pay",
            "createHashlock",
            "resolveHashlockClaim",
            "resolveHashlockCancel",
            "withdrawSigned",
            "createWithdrawTransfer",
            "withdrawSignatureReleased",
            "withdrawTransferResolved",
            "withdrawTransferCancelled",
            "unsignedWithdrawRejected",
            "withdrawExecuted",
            "replayRejected",
            "disputeStarted",
            "laterDisputeStarted",
            "sameStateAgain",
            "olderStateInLaterDispute",
            "latestDisputed",
            "staleDisputeAccepted",
            "staleDisputeRejected",
            "watcherAnswered",
            "watcherNapped",
            "warp",
            "defundChannel",
            "staleDefundRejected",
            "skippedBalanceRejected",
            "repeatDefundRejected",
            "resumedStateDefunded",
            "disputeTransfer",
            "foreignTransferRejected",
            "unpaidAssetTransferRejected",
            "defundTransferResolved",
            "defundTransferAfterTimeout",
            "exit",
            "unauthorizedExitRejected",
            "resume"
        ];
        uint256 runs = vm.envOr("CHANNEL_INVARIANT_RUNS", uint256(0)) + 1;
        vm.setEnv("CHANNEL_INVARIANT_RUNS", vm.toString(runs));
        console.log("---- successful handler actions, summed over runs:", runs);
        for (uint256 i; i < names.length; ++i) {
            string memory key = string.concat("CHANNEL_INVARIANT_HITS_", names[i]);
            uint256 total = vm.envOr(key, uint256(0)) + handler.hits(names[i]);
            vm.setEnv(key, vm.toString(total));
            console.log(names[i], total);
        }
    }
}
