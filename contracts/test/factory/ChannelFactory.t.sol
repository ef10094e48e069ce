// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {IChannelFactory} from "../../src/interfaces/IChannelFactory.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCDeposit} from "../../src/interfaces/ICMCDeposit.sol";

contract ChannelFactoryTest is ChannelFixture {
    address internal carol = makeAddr("carol");
    address internal dave = makeAddr("dave");

    // ---------------------------------------------------------------- helpers

    /// @dev The channel address per DESIGN §4.1, computed without the factory: CREATE2 of the
    /// EIP-1167 init code of the mastercopy, salt keccak256(abi.encode(alice, bob, chainId)).
    function expectedAddress(address a, address b, uint256 chainId) internal view returns (address) {
        bytes memory initCode = abi.encodePacked(
            hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", address(mastercopy), hex"5af43d82803e903d91602b57fd5bf3"
        );
        bytes32 salt = keccak256(abi.encode(a, b, chainId));
        return address(
            uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(factory), salt, keccak256(initCode)))))
        );
    }

    function validParties(address a, address b) internal view {
        vm.assume(a != address(0) && b != address(0) && a != b);
        // The fixture already created (alice, bob).
        vm.assume(!(a == alice && b == bob));
    }

    // ---------------------------------------------------------------- addresses

    function test_getMastercopy() public view {
        assertEq(factory.getMastercopy(), address(mastercopy));
    }

    function test_getChannelSalt_matchesDesign() public view {
        assertEq(factory.getChannelSalt(carol, dave), keccak256(abi.encode(carol, dave, block.chainid)));
    }

    function test_getChannelAddress_matchesCreateAndIndependentComputation() public {
        address predicted = factory.getChannelAddress(carol, dave);
        assertEq(predicted, expectedAddress(carol, dave, block.chainid));
        assertEq(
            predicted,
            Clones.predictDeterministicAddress(
                address(mastercopy), keccak256(abi.encode(carol, dave, block.chainid)), address(factory)
            )
        );
        assertEq(predicted.code.length, 0);
        address created = factory.createChannel(carol, dave);
        assertEq(created, predicted);
        // Runtime code is the EIP-1167 minimal proxy pointing at the mastercopy.
        assertEq(
            created.code,
            abi.encodePacked(hex"363d3d373d3d3d363d73", address(mastercopy), hex"5af43d82803e903d91602b57fd5bf3")
        );
    }

    function test_getChannelAddress_fixtureChannel() public view {
        assertEq(address(channel), factory.getChannelAddress(alice, bob));
        assertEq(address(channel), expectedAddress(alice, bob, block.chainid));
    }

    function test_getChannelAddress_differsForSwappedParties() public view {
        assertTrue(factory.getChannelAddress(carol, dave) != factory.getChannelAddress(dave, carol));
        assertEq(factory.getChannelAddress(dave, carol), expectedAddress(dave, carol, block.chainid));
    }

    function test_getChannelAddress_differsForOtherChainId() public {
        address here = factory.getChannelAddress(carol, dave);
        uint256 otherChain = block.chainid + 1;
        vm.chainId(otherChain);
        address there = factory.getChannelAddress(carol, dave);
        assertTrue(here != there);
        assertEq(there, expectedAddress(carol, dave, otherChain));
        assertEq(factory.getChannelSalt(carol, dave), keccak256(abi.encode(carol, dave, otherChain)));
    }

    // ---------------------------------------------------------------- createChannel

    function test_createChannel_setsUpParties() public {
        IChannelMastercopy created = IChannelMastercopy(payable(factory.createChannel(carol, dave)));
        assertEq(created.getAlice(), carol);
        assertEq(created.getBob(), dave);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AlreadySetup.selector));
        created.setup(dave, carol);
    }

    /// @dev The one event of a channel's creation: it names the channel and both parties.
    function test_createChannel_emitsChannelCreated() public {
        address predicted = factory.getChannelAddress(carol, dave);
        vm.expectEmit(true, true, true, true, address(factory));
        emit IChannelFactory.ChannelCreated(predicted, carol, dave);
        vm.recordLogs();
        factory.createChannel(carol, dave);
        assertEq(vm.getRecordedLogs().length, 1, "only ChannelCreated");
    }

    function test_createChannel_revertsWhenExists() public {
        address created = factory.createChannel(carol, dave);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ChannelAlreadyExists.selector, created));
        factory.createChannel{gas: 200_000}(carol, dave); // fails cheaply, not by running out of gas
        // The fixture's channel too.
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ChannelAlreadyExists.selector, address(channel)));
        factory.createChannel(alice, bob);
    }

    function test_createChannel_swappedPartiesIsAnotherChannel() public {
        address ab = factory.createChannel(carol, dave);
        address ba = factory.createChannel(dave, carol);
        assertTrue(ab != ba);
        assertEq(IChannelMastercopy(payable(ba)).getAlice(), dave);
    }

    function test_createChannel_revertsForInvalidParties() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, carol, carol));
        factory.createChannel(carol, carol);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, address(0), dave));
        factory.createChannel(address(0), dave);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, carol, address(0)));
        factory.createChannel(carol, address(0));
        // The failed attempts left nothing behind.
        assertEq(factory.getChannelAddress(carol, carol).code.length, 0);
    }

    // ---------------------------------------------------------------- createChannelAndDepositAlice

    function test_createChannelAndDepositAlice_eth() public {
        vm.deal(carol, 5 ether);
        address predicted = factory.getChannelAddress(carol, dave);
        vm.expectEmit(true, true, true, true, predicted);
        emit ICMCDeposit.AliceDeposited(ETH, 3 ether);
        vm.prank(carol);
        address created = factory.createChannelAndDepositAlice{value: 3 ether}(carol, dave, ETH, 3 ether);
        assertEq(created, predicted);
        IChannelMastercopy ch = IChannelMastercopy(payable(created));
        assertEq(ch.getAlice(), carol);
        assertEq(ch.getTotalDepositsAlice(ETH), 3 ether);
        assertEq(ch.getTotalDepositsBob(ETH), 0);
        assertEq(created.balance, 3 ether);
        assertEq(address(factory).balance, 0);
    }

    function test_createChannelAndDepositAlice_revertsWhenValueDiffers() public {
        vm.deal(carol, 5 ether);
        vm.startPrank(carol);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidDepositValue.selector, 3 ether, 2 ether));
        factory.createChannelAndDepositAlice{value: 2 ether}(carol, dave, ETH, 3 ether);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidDepositValue.selector, 1 ether, 0));
        factory.createChannelAndDepositAlice(carol, dave, ETH, 1 ether);
        // ETH sent along with a token deposit.
        token.mint(carol, 1 ether);
        token.approve(address(factory), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidDepositValue.selector, 1 ether, 1));
        factory.createChannelAndDepositAlice{value: 1}(carol, dave, address(token), 1 ether);
        vm.stopPrank();
        // Nothing was deployed.
        assertEq(factory.getChannelAddress(carol, dave).code.length, 0);
        assertEq(carol.balance, 5 ether);
    }

    function test_createChannelAndDepositAlice_token() public {
        token.mint(carol, 10 ether);
        vm.startPrank(carol);
        token.approve(address(factory), 4 ether);
        address created = factory.createChannelAndDepositAlice(carol, dave, address(token), 4 ether);
        vm.stopPrank();
        IChannelMastercopy ch = IChannelMastercopy(payable(created));
        assertEq(created, factory.getChannelAddress(carol, dave));
        assertEq(ch.getTotalDepositsAlice(address(token)), 4 ether);
        assertEq(ch.getTotalDepositsBob(address(token)), 0);
        assertEq(token.balanceOf(created), 4 ether);
        assertEq(token.balanceOf(carol), 6 ether);
        assertEq(token.balanceOf(address(factory)), 0);
        assertEq(token.allowance(address(factory), created), 0);
    }

    function test_createChannelAndDepositAlice_tokenRevertsWithoutApproval() public {
        token.mint(carol, 1 ether);
        vm.prank(carol);
        vm.expectRevert();
        factory.createChannelAndDepositAlice(carol, dave, address(token), 1 ether);
        assertEq(factory.getChannelAddress(carol, dave).code.length, 0);
    }

    function test_createChannelAndDepositAlice_depositsWhenChannelExists() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        address deposited = factory.createChannelAndDepositAlice{value: 1 ether}(alice, bob, ETH, 1 ether);
        assertEq(deposited, address(channel));
        assertEq(channel.getTotalDepositsAlice(ETH), 1 ether);
        assertEq(address(channel).balance, 1 ether);
    }

    // ---------------------------------------------------------------- counterfactual deposits

    function test_counterfactualDeposit_countsAsBobAfterCreation() public {
        address predicted = factory.getChannelAddress(carol, dave);
        vm.deal(dave, 2 ether);
        vm.prank(dave);
        (bool ok,) = predicted.call{value: 2 ether}("");
        assertTrue(ok);
        token.mint(dave, 7 ether);
        vm.prank(dave);
        token.transfer(predicted, 7 ether);

        address created = factory.createChannel(carol, dave);
        assertEq(created, predicted);
        IChannelMastercopy ch = IChannelMastercopy(payable(created));
        assertEq(ch.getTotalDepositsBob(ETH), 2 ether);
        assertEq(ch.getTotalDepositsBob(address(token)), 7 ether);
        assertEq(ch.getTotalDepositsAlice(ETH), 0);
    }

    function test_counterfactualDeposit_thenCreateAndDepositAlice() public {
        address predicted = factory.getChannelAddress(carol, dave);
        vm.deal(predicted, 1 ether); // bob's earlier deposit
        vm.deal(carol, 3 ether);
        vm.prank(carol);
        factory.createChannelAndDepositAlice{value: 3 ether}(carol, dave, ETH, 3 ether);
        IChannelMastercopy ch = IChannelMastercopy(payable(predicted));
        assertEq(ch.getTotalDepositsAlice(ETH), 3 ether);
        assertEq(ch.getTotalDepositsBob(ETH), 1 ether);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_getChannelAddress_matchesCreate(address a, address b, uint64 chainId) public {
        validParties(a, b);
        vm.assume(chainId != 0);
        vm.chainId(chainId);
        address predicted = factory.getChannelAddress(a, b);
        assertEq(predicted, expectedAddress(a, b, chainId));
        assertTrue(predicted != factory.getChannelAddress(b, a));
        address created = factory.createChannel(a, b);
        assertEq(created, predicted);
        assertEq(IChannelMastercopy(payable(created)).getAlice(), a);
        assertEq(IChannelMastercopy(payable(created)).getBob(), b);
    }

    function testFuzz_createChannelAndDepositAlice(address a, address b, uint96 ethAmount, uint128 tokenAmount) public {
        validParties(a, b);
        address payer = makeAddr("payer");
        vm.deal(payer, ethAmount);
        vm.prank(payer);
        address created = factory.createChannelAndDepositAlice{value: ethAmount}(a, b, ETH, ethAmount);
        IChannelMastercopy ch = IChannelMastercopy(payable(created));
        assertEq(ch.getTotalDepositsAlice(ETH), ethAmount);
        assertEq(ch.getTotalDepositsBob(ETH), 0);

        // A second (token) call finds the channel deployed and only deposits.
        token.mint(payer, tokenAmount);
        vm.startPrank(payer);
        token.approve(address(factory), tokenAmount);
        assertEq(factory.createChannelAndDepositAlice(a, b, address(token), tokenAmount), created);
        vm.stopPrank();
        assertEq(ch.getTotalDepositsAlice(address(token)), tokenAmount);
        assertEq(ch.getTotalDepositsAlice(ETH), ethAmount);
    }

    function testFuzz_createChannelAndDepositAlice_token(uint128 aliceAmount, uint128 bobAmount) public {
        address predicted = factory.getChannelAddress(carol, dave);
        token.mint(predicted, bobAmount); // counterfactual deposit by bob
        token.mint(carol, aliceAmount);
        vm.startPrank(carol);
        token.approve(address(factory), aliceAmount);
        factory.createChannelAndDepositAlice(carol, dave, address(token), aliceAmount);
        vm.stopPrank();
        IChannelMastercopy ch = IChannelMastercopy(payable(predicted));
        assertEq(ch.getTotalDepositsAlice(address(token)), aliceAmount);
        assertEq(ch.getTotalDepositsBob(address(token)), bobAmount);
        assertEq(token.balanceOf(address(factory)), 0);
    }

    function testFuzz_createChannelAndDepositAlice_revertsOnValueMismatch(uint96 amount, uint96 value) public {
        vm.assume(amount != value);
        vm.deal(carol, value);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidDepositValue.selector, amount, value));
        factory.createChannelAndDepositAlice{value: value}(carol, dave, ETH, amount);
    }
}
