// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ChannelTestBase} from "./ChannelTestBase.sol";
import {FeeOnTransferToken} from "./mocks/FeeOnTransferToken.sol";
import {FalseReturnToken, NoReturnToken} from "./mocks/NoReturnToken.sol";
import {TestToken} from "../../src/TestToken.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCDeposit} from "../../src/interfaces/ICMCDeposit.sol";

contract CMCDepositTest is ChannelTestBase {
    uint256 internal constant MAX_AMOUNT = 1e36;

    // ---------------------------------------------------------------- native coin

    function test_depositAlice_native_creditsAliceAndEmits() public {
        vm.deal(alice, 3 ether);
        vm.expectEmit(true, false, false, true, address(channel));
        emit ICMCDeposit.AliceDeposited(ETH, 3 ether);
        vm.prank(alice);
        channel.depositAlice{value: 3 ether}(ETH, 3 ether);
        assertEq(channel.getTotalDepositsAlice(ETH), 3 ether);
        assertEq(channel.getTotalDepositsBob(ETH), 0);
        assertEq(address(channel).balance, 3 ether);
    }

    function test_depositAlice_native_revertsWhenValueBelowAmount() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidDepositValue.selector, 2 ether, 1 ether));
        channel.depositAlice{value: 1 ether}(ETH, 2 ether);
    }

    function test_depositAlice_native_revertsWhenValueAboveAmount() public {
        vm.deal(alice, 2 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidDepositValue.selector, 1 ether, 2 ether));
        channel.depositAlice{value: 2 ether}(ETH, 1 ether);
        assertEq(channel.getTotalDepositsAlice(ETH), 0);
        assertEq(address(channel).balance, 0);
    }

    function test_depositBob_native_viaReceive() public {
        depositBob(ETH, 2 ether);
        assertEq(channel.getTotalDepositsBob(ETH), 2 ether);
        assertEq(channel.getTotalDepositsAlice(ETH), 0);
    }

    // ---------------------------------------------------------------- tokens

    function test_depositAlice_token_creditsAlice() public {
        token.mint(alice, 50e18);
        vm.startPrank(alice);
        token.approve(address(channel), 50e18);
        vm.expectEmit(true, false, false, true, address(channel));
        emit ICMCDeposit.AliceDeposited(address(token), 50e18);
        channel.depositAlice(address(token), 50e18);
        vm.stopPrank();
        assertEq(channel.getTotalDepositsAlice(address(token)), 50e18);
        assertEq(channel.getTotalDepositsBob(address(token)), 0);
        assertEq(token.balanceOf(address(channel)), 50e18);
        assertEq(token.balanceOf(alice), 0);
    }

    function test_depositAlice_token_revertsWhenValueSent() public {
        token.mint(alice, 5);
        vm.deal(alice, 1);
        vm.startPrank(alice);
        token.approve(address(channel), 5);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidDepositValue.selector, 5, 1));
        channel.depositAlice{value: 1}(address(token), 5);
        vm.stopPrank();
    }

    function test_depositAlice_token_revertsWithoutApproval() public {
        token.mint(alice, 5);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(channel), 0, 5)
        );
        channel.depositAlice(address(token), 5);
    }

    function test_depositAlice_token_revertsWhenBalanceShort() public {
        token.mint(alice, 4);
        vm.startPrank(alice);
        token.approve(address(channel), 5);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 4, 5));
        channel.depositAlice(address(token), 5);
        vm.stopPrank();
    }

    function test_depositBob_token_viaTransfer() public {
        depositBob(address(token), 7e18);
        assertEq(channel.getTotalDepositsBob(address(token)), 7e18);
        assertEq(channel.getTotalDepositsAlice(address(token)), 0);
    }

    function test_deposits_totalsArePerAssetAndParty() public {
        TestToken other = new TestToken("Other", "OTH");
        depositAlice(ETH, 1 ether);
        depositBob(ETH, 2 ether);
        depositAlice(address(token), 3e18);
        depositBob(address(token), 4e18);
        depositAlice(address(other), 5e18);
        depositAlice(ETH, 10 ether);
        depositBob(address(token), 1e18);

        assertEq(channel.getTotalDepositsAlice(ETH), 11 ether);
        assertEq(channel.getTotalDepositsBob(ETH), 2 ether);
        assertEq(channel.getTotalDepositsAlice(address(token)), 3e18);
        assertEq(channel.getTotalDepositsBob(address(token)), 5e18);
        assertEq(channel.getTotalDepositsAlice(address(other)), 5e18);
        assertEq(channel.getTotalDepositsBob(address(other)), 0);
    }

    /// @dev Bob's total is derived from what the channel holds plus what it paid out, so a
    /// withdrawal does not shrink anyone's deposits.
    function test_deposits_unchangedByWithdrawal() public {
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
        executeWithdraw(withdrawData(ETH, bob, 4 ether, 1));
        assertEq(address(channel).balance, 1 ether);
        assertEq(channel.getTotalDepositsAlice(ETH), 3 ether);
        assertEq(channel.getTotalDepositsBob(ETH), 2 ether);
    }

    // ---------------------------------------------------------------- unusual tokens

    function test_depositAlice_feeOnTransfer_countsAmountReceived() public {
        FeeOnTransferToken fee = new FeeOnTransferToken(100); // 1%
        fee.mint(alice, 1000);
        vm.startPrank(alice);
        fee.approve(address(channel), 1000);
        vm.expectEmit(true, false, false, true, address(channel));
        emit ICMCDeposit.AliceDeposited(address(fee), 990);
        channel.depositAlice(address(fee), 1000);
        vm.stopPrank();
        assertEq(fee.balanceOf(address(channel)), 990);
        assertEq(channel.getTotalDepositsAlice(address(fee)), 990);
        assertEq(channel.getTotalDepositsBob(address(fee)), 0);
    }

    function test_depositBob_feeOnTransfer_countsAmountReceived() public {
        FeeOnTransferToken fee = new FeeOnTransferToken(250);
        fee.mint(bob, 1000);
        vm.prank(bob);
        fee.transfer(address(channel), 1000);
        assertEq(channel.getTotalDepositsBob(address(fee)), 975);
    }

    function test_depositAlice_noReturnToken() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 100e6);
        vm.startPrank(alice);
        usdt.approve(address(channel), 100e6);
        channel.depositAlice(address(usdt), 100e6);
        vm.stopPrank();
        usdt.mint(bob, 30e6);
        vm.prank(bob);
        usdt.transfer(address(channel), 30e6);
        assertEq(channel.getTotalDepositsAlice(address(usdt)), 100e6);
        assertEq(channel.getTotalDepositsBob(address(usdt)), 30e6);
        assertEq(usdt.balanceOf(address(channel)), 130e6);
    }

    function test_depositAlice_noReturnToken_revertsWithoutApproval() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 100e6);
        vm.prank(alice);
        vm.expectRevert(bytes("allowance"));
        channel.depositAlice(address(usdt), 100e6);
    }

    function test_depositAlice_falseReturnToken_reverts() public {
        FalseReturnToken bad = new FalseReturnToken();
        bad.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(bad)));
        channel.depositAlice(address(bad), 10);
        assertEq(channel.getTotalDepositsAlice(address(bad)), 0);
    }

    // ---------------------------------------------------------------- mastercopy

    function test_depositAlice_revertsOnMastercopy() public {
        token.mint(alice, 5);
        vm.startPrank(alice);
        token.approve(address(mastercopy), 5);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.depositAlice(address(token), 5);
        vm.stopPrank();
        assertEq(token.balanceOf(address(mastercopy)), 0);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_depositAlice_native(uint256 amount) public {
        amount = bound(amount, 0, MAX_AMOUNT);
        depositAlice(ETH, amount);
        assertEq(channel.getTotalDepositsAlice(ETH), amount);
        assertEq(channel.getTotalDepositsBob(ETH), 0);
        assertEq(address(channel).balance, amount);
    }

    function testFuzz_depositAlice_tokens(uint256 amount) public {
        amount = bound(amount, 0, MAX_AMOUNT);
        depositAlice(address(token), amount);
        assertEq(channel.getTotalDepositsAlice(address(token)), amount);
        assertEq(channel.getTotalDepositsBob(address(token)), 0);
        assertEq(token.balanceOf(address(channel)), amount);
    }

    function testFuzz_depositAlice_native_revertsOnValueMismatch(uint256 amount, uint256 value) public {
        value = bound(value, 0, MAX_AMOUNT);
        vm.assume(amount != value);
        vm.deal(alice, value);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidDepositValue.selector, amount, value));
        channel.depositAlice{value: value}(ETH, amount);
    }

    function testFuzz_depositAlice_tokens_revertsWithValue(uint256 amount, uint256 value) public {
        value = bound(value, 1, MAX_AMOUNT);
        vm.deal(alice, value);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidDepositValue.selector, amount, value));
        channel.depositAlice{value: value}(address(token), amount);
    }

    /// @dev Interleaved deposits of both parties in both asset kinds sum up independently.
    function testFuzz_deposits_bothSidesBothAssets(uint256[4] memory amounts, uint8 order) public {
        for (uint256 i; i < 4; ++i) {
            amounts[i] = bound(amounts[i], 0, MAX_AMOUNT);
        }
        for (uint256 k; k < 4; ++k) {
            uint256 i = (k + order) % 4;
            address asset = i < 2 ? ETH : address(token);
            if (i % 2 == 0) depositAlice(asset, amounts[i]);
            else depositBob(asset, amounts[i]);
        }
        assertEq(channel.getTotalDepositsAlice(ETH), amounts[0]);
        assertEq(channel.getTotalDepositsBob(ETH), amounts[1]);
        assertEq(channel.getTotalDepositsAlice(address(token)), amounts[2]);
        assertEq(channel.getTotalDepositsBob(address(token)), amounts[3]);
        assertEq(address(channel).balance, amounts[0] + amounts[1]);
        assertEq(token.balanceOf(address(channel)), amounts[2] + amounts[3]);
    }

    function testFuzz_depositAlice_feeOnTransfer(uint256 amount, uint256 feeBps) public {
        amount = bound(amount, 0, MAX_AMOUNT);
        feeBps = bound(feeBps, 0, 10_000);
        FeeOnTransferToken fee = new FeeOnTransferToken(feeBps);
        fee.mint(alice, amount);
        vm.startPrank(alice);
        fee.approve(address(channel), amount);
        channel.depositAlice(address(fee), amount);
        vm.stopPrank();
        uint256 received = amount - amount * feeBps / 10_000;
        assertEq(channel.getTotalDepositsAlice(address(fee)), received);
        assertEq(channel.getTotalDepositsBob(address(fee)), 0);
    }
}
