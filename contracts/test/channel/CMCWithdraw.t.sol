// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {ChannelTestBase} from "./ChannelTestBase.sol";
import {FeeOnTransferToken} from "./mocks/FeeOnTransferToken.sol";
import {NoReturnToken} from "./mocks/NoReturnToken.sol";
import {RevertingRecipient} from "./mocks/Recipients.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCWithdraw} from "../../src/interfaces/ICMCWithdraw.sol";
import {WithdrawData} from "../../src/interfaces/Types.sol";

/// @notice Paying out withdrawal commitments; signature checks are in CMCWithdrawSignatures.t.sol.
contract CMCWithdrawTest is ChannelTestBase {
    address internal carol = makeAddr("carol");

    function setUp() public override {
        super.setUp();
        depositAlice(ETH, 6 ether);
        depositBob(ETH, 4 ether);
        depositAlice(address(token), 60e18);
        depositBob(address(token), 40e18);
    }

    // ---------------------------------------------------------------- payouts

    function test_withdraw_native_paysToTheWei() public {
        WithdrawData memory wd = withdrawData(ETH, carol, 3 ether + 1, 1);
        bytes32 commitment = channel.withdrawDigest(wd);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCWithdraw.Withdrawn(commitment, ETH, carol, 3 ether + 1);
        executeWithdraw(wd);
        assertEq(carol.balance, 3 ether + 1);
        assertEq(address(channel).balance, 7 ether - 1);
        assertEq(channel.getTotalTransferred(ETH), 3 ether + 1);
        assertEq(channel.getTotalTransferred(address(token)), 0);
        assertTrue(channel.isWithdrawalExecuted(commitment));
    }

    function test_withdraw_token_paysToTheWei() public {
        WithdrawData memory wd = withdrawData(address(token), carol, 12e18 + 7, 1);
        executeWithdraw(wd);
        assertEq(token.balanceOf(carol), 12e18 + 7);
        assertEq(token.balanceOf(address(channel)), 88e18 - 7);
        assertEq(channel.getTotalTransferred(address(token)), 12e18 + 7);
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_withdraw_anyoneMaySubmit() public {
        WithdrawData memory wd = withdrawData(ETH, bob, 1 ether, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.prank(carol);
        channel.withdraw(wd, aliceSig, bobSig);
        assertEq(bob.balance, 1 ether);
    }

    function test_withdraw_totalTransferredAccumulates() public {
        executeWithdraw(withdrawData(ETH, alice, 1 ether, 1));
        executeWithdraw(withdrawData(ETH, bob, 2 ether, 2));
        executeWithdraw(withdrawData(address(token), bob, 5e18, 3));
        assertEq(channel.getTotalTransferred(ETH), 3 ether);
        assertEq(channel.getTotalTransferred(address(token)), 5e18);
        assertEq(channel.getTotalDepositsAlice(ETH), 6 ether);
        assertEq(channel.getTotalDepositsBob(ETH), 4 ether);
    }

    function test_withdraw_zeroAmountMarksExecutedWithoutPaying() public {
        WithdrawData memory wd = withdrawData(ETH, carol, 0, 1);
        executeWithdraw(wd);
        assertTrue(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
        assertEq(carol.balance, 0);
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_withdraw_noReturnToken() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(address(channel), 10e6);
        executeWithdraw(withdrawData(address(usdt), carol, 4e6, 1));
        assertEq(usdt.balanceOf(carol), 4e6);
        assertEq(usdt.balanceOf(address(channel)), 6e6);
        assertEq(channel.getTotalTransferred(address(usdt)), 4e6);
        assertEq(channel.getTotalDepositsBob(address(usdt)), 10e6);
    }

    function test_withdraw_feeOnTransferToken_keepsDepositTotals() public {
        FeeOnTransferToken fee = new FeeOnTransferToken(100);
        fee.mint(alice, 1000);
        vm.startPrank(alice);
        fee.approve(address(channel), 1000);
        channel.depositAlice(address(fee), 1000);
        vm.stopPrank();
        executeWithdraw(withdrawData(address(fee), carol, 500, 1));
        assertEq(fee.balanceOf(carol), 495);
        assertEq(channel.getTotalTransferred(address(fee)), 500);
        assertEq(channel.getTotalDepositsAlice(address(fee)), 990);
        assertEq(channel.getTotalDepositsBob(address(fee)), 0);
    }

    /// @dev Documents current behaviour: a commitment paying the channel itself counts as paid
    /// out while the coins stay, so bob's derived deposit total grows by the amount (an
    /// off-chain deposit reconcile would then credit it to bob, whoever withdrew it).
    function test_withdraw_revertsWhenRecipientIsTheChannel() public {
        WithdrawData memory wd = withdrawData(ETH, address(channel), 1 ether, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidRecipient.selector, address(channel)));
        channel.withdraw(wd, aliceSig, bobSig);
        // Otherwise the amount would count as paid out and, staying in the channel, as bob's.
        assertEq(channel.getTotalTransferred(ETH), 0);
        assertEq(channel.getTotalDepositsBob(ETH), 4 ether);
    }

    // ---------------------------------------------------------------- replay

    function test_withdraw_revertsWhenReplayed() public {
        WithdrawData memory wd = withdrawData(ETH, carol, 1 ether, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        channel.withdraw(wd, aliceSig, bobSig);
        bytes32 commitment = channel.withdrawDigest(wd);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.WithdrawalAlreadyExecuted.selector, commitment));
        channel.withdraw(wd, aliceSig, bobSig);
        assertEq(carol.balance, 1 ether);
        assertEq(channel.getTotalTransferred(ETH), 1 ether);
    }

    function test_withdraw_sameDataOtherNonceIsAnotherCommitment() public {
        WithdrawData memory first = withdrawData(ETH, carol, 1 ether, 1);
        WithdrawData memory second = withdrawData(ETH, carol, 1 ether, 2);
        executeWithdraw(first);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(second)));
        executeWithdraw(second);
        assertEq(carol.balance, 2 ether);
    }

    function test_isWithdrawalExecuted_falseForUnknownCommitment() public view {
        assertFalse(channel.isWithdrawalExecuted(bytes32(0)));
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(withdrawData(ETH, carol, 1, 1))));
    }

    // ---------------------------------------------------------------- failed payouts change nothing

    function test_withdraw_revertsWhenRecipientRefusesEther() public {
        RevertingRecipient refuser = new RevertingRecipient();
        WithdrawData memory wd = withdrawData(ETH, address(refuser), 1 ether, 1);
        bytes32 commitment = channel.withdrawDigest(wd);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(abi.encodeWithSelector(RevertingRecipient.Refused.selector));
        channel.withdraw(wd, aliceSig, bobSig);
        assertFalse(channel.isWithdrawalExecuted(commitment));
        assertEq(channel.getTotalTransferred(ETH), 0);
        assertEq(address(channel).balance, 10 ether);

        // The commitment stays usable once the recipient accepts.
        refuser.setBlocked(false);
        channel.withdraw(wd, aliceSig, bobSig);
        assertTrue(channel.isWithdrawalExecuted(commitment));
        assertEq(address(refuser).balance, 1 ether);
    }

    function test_withdraw_revertsWhenChannelHoldsTooLittleEther() public {
        WithdrawData memory wd = withdrawData(ETH, carol, 10 ether + 1, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(abi.encodeWithSelector(Errors.InsufficientBalance.selector, 10 ether, 10 ether + 1));
        channel.withdraw(wd, aliceSig, bobSig);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_withdraw_revertsWhenChannelHoldsTooFewTokens() public {
        WithdrawData memory wd = withdrawData(address(token), carol, 100e18 + 1, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, address(channel), 100e18, 100e18 + 1)
        );
        channel.withdraw(wd, aliceSig, bobSig);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
    }

    function test_withdraw_revertsWhenTokenRecipientIsZero() public {
        WithdrawData memory wd = withdrawData(address(token), address(0), 1, 1);
        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        channel.withdraw(wd, aliceSig, bobSig);
    }

    // ---------------------------------------------------------------- digest

    function test_withdrawDigest_matchesIndependentEip712Digest() public view {
        WithdrawData memory wd = withdrawData(address(token), carol, 123, 456);
        assertEq(channel.withdrawDigest(wd), expectedWithdrawDigest(wd, address(channel), block.chainid));
    }

    function test_withdrawDigest_followsChainId() public {
        WithdrawData memory wd = withdrawData(ETH, carol, 1, 1);
        bytes32 before = channel.withdrawDigest(wd);
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        bytes32 afterFork = channel.withdrawDigest(wd);
        assertTrue(before != afterFork);
        assertEq(afterFork, expectedWithdrawDigest(wd, address(channel), chainId + 1));
    }

    function testFuzz_withdrawDigest_matchesIndependentEip712Digest(WithdrawData memory wd, uint64 chainId) public {
        vm.chainId(chainId);
        assertEq(channel.withdrawDigest(wd), expectedWithdrawDigest(wd, address(channel), chainId));
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_withdraw_native(uint256 amount, uint256 nonce, address payable recipient) public {
        amount = bound(amount, 0, 10 ether);
        assumePayable(recipient);
        assumeNotPrecompile(recipient);
        vm.assume(recipient != address(channel));
        uint256 before = recipient.balance;
        WithdrawData memory wd = withdrawData(ETH, recipient, amount, nonce);
        executeWithdraw(wd);
        assertEq(recipient.balance, before + amount);
        assertEq(address(channel).balance, 10 ether - amount);
        assertEq(channel.getTotalTransferred(ETH), amount);
        assertTrue(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
        assertEq(channel.getTotalDepositsBob(ETH), 4 ether);
    }

    function testFuzz_withdraw_tokens(uint256 amount, uint256 nonce, address recipient) public {
        amount = bound(amount, 0, 100e18);
        vm.assume(recipient != address(0) && recipient != address(channel));
        uint256 before = token.balanceOf(recipient);
        WithdrawData memory wd = withdrawData(address(token), recipient, amount, nonce);
        executeWithdraw(wd);
        assertEq(token.balanceOf(recipient), before + amount);
        assertEq(token.balanceOf(address(channel)), 100e18 - amount);
        assertEq(channel.getTotalTransferred(address(token)), amount);

        bytes memory aliceSig = signWithdraw(aliceKey, wd);
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(
            abi.encodeWithSelector(IChannelErrors.WithdrawalAlreadyExecuted.selector, channel.withdrawDigest(wd))
        );
        channel.withdraw(wd, aliceSig, bobSig);
    }

    /// @dev Several commitments with distinct nonces each pay once; the sum leaves the channel.
    function testFuzz_withdraw_manyNonces(uint256[3] memory amounts, uint256 nonce) public {
        nonce = bound(nonce, 0, type(uint256).max - 3);
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            amounts[i] = bound(amounts[i], 0, 3 ether);
            total += amounts[i];
            executeWithdraw(withdrawData(ETH, carol, amounts[i], nonce + i));
        }
        assertEq(carol.balance, total);
        assertEq(channel.getTotalTransferred(ETH), total);
    }
}
